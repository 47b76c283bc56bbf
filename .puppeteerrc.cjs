// We test against Debian's chromium; puppeteer must never download a browser.
module.exports = { skipDownload: true };
