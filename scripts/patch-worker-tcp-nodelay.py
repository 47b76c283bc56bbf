"""Turns Nagle's algorithm off on the mediasoup 3.12.x worker's ICE-TCP connections.

mediasoup accepts WebRTC over TCP (for schools whose firewalls let no UDP through) but leaves
Nagle on, so a media packet smaller than a segment waits for the ACK of the one before it. The
classroom's downlink estimate then reads the extra delay as congestion, and the teacher's
uplink gets its feedback late. Measured in test/e2e/schoolFirewall.test.ts-style runs (a page
behind a UDP-blocking firewall, 20 s after joining): with Nagle the picture sank from the top
layer at full rate to a quarter rate or the middle layer in 2 of 6 runs; without it, none.

Applied to a copy of node_modules/mediasoup/worker by scripts/build-worker (scripts/worker_patch.py).
"""
import sys
from pathlib import Path

from worker_patch import patch

MARK = "/* tongke: TCP_NODELAY */"
ANCHOR = """	if (err != 0)
		MS_ABORT("uv_accept() failed: %s", uv_strerror(err));
"""
PATCH = ANCHOR + f"""
	{MARK}
	uv_tcp_nodelay(connection->GetUvHandle(), 1);
"""

patch(Path(sys.argv[1]) / "src/handles/TcpServerHandler.cpp", MARK, [(ANCHOR, PATCH)])
