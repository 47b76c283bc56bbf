# Tongke: multi-stage build on Debian 12, the same worker recipe as scripts/setup.
# (No Docker engine runs on the development machines; keep this in step with scripts/.)

FROM debian:bookworm-slim AS build
ENV DEBIAN_FRONTEND=noninteractive
RUN printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
      > /etc/apt/sources.list.d/bookworm-backports.sources \
 && printf 'Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: bookworm\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
      > /etc/apt/sources.list.d/tongke-deb-src.sources \
 && apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl gnupg build-essential python3 \
      ninja-build pkg-config libuv1-dev libssl-dev libsrtp2-dev libusrsctp-dev libabsl-dev nlohmann-json3-dev \
 && apt-get install -y --no-install-recommends -t bookworm-backports meson \
 && apt-get install -y --no-install-recommends nodejs npm \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json .puppeteerrc.cjs ./
# A set MEDIASOUP_WORKER_BIN skips mediasoup's postinstall (it would download).
RUN MEDIASOUP_WORKER_BIN=/nonexistent PUPPETEER_SKIP_DOWNLOAD=true npm install --no-save --no-audit --no-fund
COPY scripts ./scripts
# libsrtp2 against OpenSSL (Debian's is built on NSS, much slower per packet), then the worker.
RUN bash scripts/build-srtp /opt/srtp \
 && PKG_CONFIG_PATH=/opt/srtp/lib/pkgconfig bash scripts/build-worker /opt/mediasoup
COPY shared ./shared
COPY client ./client
COPY server ./server
COPY tsconfig.json ./
RUN node scripts/build-client.mjs \
 && MEDIASOUP_WORKER_BIN=/nonexistent npm prune --omit=dev

FROM debian:bookworm-slim AS runtime
ENV DEBIAN_FRONTEND=noninteractive
# Runtime libraries only: what the worker and better-sqlite3 link against (libsrtp2 is static),
# and ffmpeg, which writes the recordings (录播) by copying the teacher's media into WebM.
RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs libuv1 libssl3 libusrsctp2 \
      libabsl20220623 ca-certificates tini ffmpeg \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /opt/mediasoup/mediasoup-worker /usr/local/bin/mediasoup-worker
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/shared ./shared
COPY --from=build /app/server ./server
COPY --from=build /app/package.json ./
ENV NODE_ENV=production \
    MEDIASOUP_WORKER_BIN=/usr/local/bin/mediasoup-worker \
    TONGKE_DATA_DIR=/data \
    TONGKE_DEMO=0
VOLUME /data
# HTTP, then one UDP+TCP media port per worker (TONGKE_RTC_PORT + i).
EXPOSE 3000 40000-40001/udp 40000-40001/tcp
USER nobody
ENTRYPOINT ["tini", "--"]
CMD ["node", "--import", "tsx", "server/main.ts"]
