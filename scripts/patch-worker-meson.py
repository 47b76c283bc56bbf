"""Rewrites mediasoup 3.12.x worker meson files to use Debian's system libraries.

Every subproject() for openssl, nlohmann_json, libuv, libsrtp2, usrsctp, abseil-cpp and
catch2 becomes a pkg-config dependency(); only libwebrtc (built from the tree) is linked
whole. Fails loudly if the files do not look as expected, rather than building something
half-patched.
"""
import re
import sys
from pathlib import Path

root = Path(sys.argv[1])

SYSTEM_DEPS = """
openssl_dep = dependency('openssl')
nlohmann_json_dep = dependency('nlohmann_json')
libuv_dep = dependency('libuv')
# mediasoup includes <srtp.h>; libsrtp2 installs it under <includedir>/srtp2 (Debian's
# and our OpenSSL build alike), so that directory goes on the include path.
libsrtp2_pc = dependency('libsrtp2')
libsrtp2_dep = [libsrtp2_pc, declare_dependency(compile_args: ['-I' + libsrtp2_pc.get_variable(pkgconfig: 'includedir') + '/srtp2'])]
usrsctp_dep = dependency('usrsctp')
absl_container_dep = dependency('absl_flat_hash_map')
absl_strings_dep = dependency('absl_strings')
absl_types_dep = dependency('absl_optional')
catch2_dep = dependency('catch2', required: false)
"""

VARIABLES = {
    "absl_container_dep": "absl_container_dep",
    "openssl_dep": "openssl_dep",
    "nlohmann_json_dep": "nlohmann_json_dep",
    "libuv_dep": "libuv_dep",
    "libsrtp2_dep": "libsrtp2_dep",
    "usrsctp_dep": "usrsctp_dep",
    "catch2_dep": "catch2_dep",
    "absl_strings_dep": "absl_strings_dep",
    "absl_types_dep": "absl_types_dep",
}
STATIC_LIBS = {"absl_container_lib", "libcrypto_lib", "libssl_lib", "libuv", "libsrtp2", "usrsctp"}
SUBPROJECT = re.compile(r"^(\w+)_proj = subproject\(\s*'[^']+',.*?^\)\n", re.S | re.M)


def replace_vars(text: str) -> str:
    def sub(match: re.Match) -> str:
        proj, var = match.group(1), match.group(2)
        if proj == "wingetopt":
            return match.group(0)
        if var not in VARIABLES:
            raise SystemExit(f"unexpected get_variable('{var}') in {proj}")
        return VARIABLES[var]

    return re.sub(r"(\w+)_proj\.get_variable\('(\w+)'\)", sub, text)


def patch_top(path: Path) -> None:
    text = path.read_text()
    removed = SUBPROJECT.findall(text)
    if "openssl" not in removed or "abseil_cpp" not in removed:
        raise SystemExit(f"{path}: subproject blocks not found (found {removed})")
    text = SUBPROJECT.sub("", text)
    anchor = "libwebrtc_include_directories = "
    if anchor not in text:
        raise SystemExit(f"{path}: anchor {anchor!r} not found")
    text = text.replace(anchor, SYSTEM_DEPS + "\n" + anchor, 1)
    # Drop the static libraries from link_whole: the system libraries are shared.
    lines = []
    for line in text.splitlines(keepends=True):
        m = re.match(r"\s*\w+_proj\.get_variable\('(\w+)'\),\s*$", line)
        if m and m.group(1) in STATIC_LIBS:
            continue
        lines.append(line)
    path.write_text(replace_vars("".join(lines)))


def patch_libwebrtc(path: Path) -> None:
    text = path.read_text()
    removed = SUBPROJECT.findall(text)
    if removed != ["abseil_cpp"]:
        raise SystemExit(f"{path}: expected one abseil subproject, found {removed}")
    path.write_text(replace_vars(SUBPROJECT.sub("", text)))


patch_top(root / "meson.build")
patch_libwebrtc(root / "deps" / "libwebrtc" / "meson.build")
for p in (root / "meson.build", root / "deps" / "libwebrtc" / "meson.build"):
    left = [l for l in p.read_text().splitlines() if "_proj" in l and "wingetopt" not in l]
    if left:
        raise SystemExit(f"{p}: unpatched lines remain: {left}")
print("patched worker meson files for system libraries")
