"""Stamps each received RTP packet with the kernel's receive time in the mediasoup 3.12.x worker.

The worker tells each sender when its packets arrived (transport-cc feedback), and the sender's
bandwidth estimate reads a growing delay between its packets as a congested network. But the
worker stamped a packet when it *read* it, and it reads the next packet only after sending the
last one on to every classroom. A worker busy forwarding a lesson to 150-300 classrooms thus
stamped the teacher's packets later and later within each frame: beside 150-300 classrooms the
teacher's estimate fell from 5.6-6.1 Mbit/s to below 4 in 7 of 8 windows, taking the 1280-px
layer down with it (scripts/bench-uplink, bench/results/uplink-unpatched.md). The delay was the
worker's, not the network's. With this patch it fell in none of 8 (bench/results/uplink.md).

After this patch the UDP socket handler asks the kernel when the datagram it just read arrived
(SIOCGSTAMPNS, which the first call enables for the socket; libuv reads one datagram per call
with mediasoup's 64 KiB buffer, so the stamp is that datagram's), converts it to the worker's
monotonic clock, and Transport::ReceiveRtpPacket gives that time to its congestion-control
server instead of the time of reading. A stamp missing, from the future or older than a second
(the wall clock was set) falls back to the time of reading, as before. Packets over TCP keep
the time of reading. test/integration/kernelArrival.test.ts stops the worker (SIGSTOP), sends five
packets 30 ms apart into its socket, lets it go on, and reads them 30 ms apart in its feedback.

Applied to a copy of node_modules/mediasoup/worker by scripts/build-worker (scripts/worker_patch.py).
"""
import sys
from pathlib import Path

from worker_patch import patch

MARK = "/* tongke: kernel receive time */"

root = Path(sys.argv[1])
header = root / "include/handles/PacketArrival.hpp"
udp = root / "src/handles/UdpSocketHandler.cpp"
transport = root / "src/RTC/Transport.cpp"

HEADER = f"""#ifndef MS_PACKET_ARRIVAL_HPP
#define MS_PACKET_ARRIVAL_HPP

{MARK}
#include <cstdint>

namespace PacketArrival
{{
	// When the kernel received the datagram being handled, on the worker's clock
	// (DepLibUV::GetTimeMs()); 0 when unknown.
	inline thread_local uint64_t currentMs{{ 0u }};
}} // namespace PacketArrival

#endif
"""

UDP_INCLUDE_ANCHOR = '#include <cstring> // std::memcpy()\n'
UDP_INCLUDE_PATCH = UDP_INCLUDE_ANCHOR + f"""{MARK}
#include "handles/PacketArrival.hpp"
#include <linux/sockios.h> // SIOCGSTAMPNS
#include <sys/ioctl.h>
#include <ctime>

// The kernel's receive time of the datagram last read from the socket, on uv_hrtime()'s clock
// in ms, or 0. The stamp is on the wall clock: its age is taken there and then subtracted from
// the monotonic now.
static uint64_t kernelArrivalMs(uv_udp_t* handle)
{{
	uv_os_fd_t fd;
	struct timespec stamp;
	struct timespec now;

	if (
	  uv_fileno(reinterpret_cast<uv_handle_t*>(handle), &fd) != 0 ||
	  ioctl(fd, SIOCGSTAMPNS, &stamp) != 0 || clock_gettime(CLOCK_REALTIME, &now) != 0)
	{{
		return 0u;
	}}

	const int64_t ageNs = (static_cast<int64_t>(now.tv_sec) - stamp.tv_sec) * 1000000000LL +
	                      (static_cast<int64_t>(now.tv_nsec) - stamp.tv_nsec);

	if (ageNs < 0 || ageNs > 1000000000LL)
		return 0u;

	return (uv_hrtime() - static_cast<uint64_t>(ageNs)) / 1000000u;
}}
"""

UDP_ENABLE_ANCHOR = """		MS_THROW_ERROR("uv_udp_recv_start() failed: %s", uv_strerror(err));
	}
"""
UDP_ENABLE_PATCH = UDP_ENABLE_ANCHOR + f"""
	{MARK}
	// The first SIOCGSTAMPNS turns the socket's receive stamps on (and finds none yet).
	kernelArrivalMs(this->uvHandle);
"""

UDP_RECV_ANCHOR = """		// Notify the subclass.
		UserOnUdpDatagramReceived(reinterpret_cast<uint8_t*>(buf->base), nread, addr);
"""
UDP_RECV_PATCH = f"""		{MARK}
		PacketArrival::currentMs = kernelArrivalMs(this->uvHandle);

		// Notify the subclass.
		UserOnUdpDatagramReceived(reinterpret_cast<uint8_t*>(buf->base), nread, addr);

		PacketArrival::currentMs = 0u;
"""

TRANSPORT_INCLUDE_ANCHOR = '#include "Utils.hpp"\n'
TRANSPORT_INCLUDE_PATCH = TRANSPORT_INCLUDE_ANCHOR + '#include "handles/PacketArrival.hpp"\n'

TRANSPORT_ANCHOR = """		auto nowMs = DepLibUV::GetTimeMs();

		// Feed the TransportCongestionControlServer.
		if (this->tccServer)
		{
			this->tccServer->IncomingPacket(nowMs, packet);
		}
"""
TRANSPORT_PATCH = f"""		auto nowMs = DepLibUV::GetTimeMs();

		// Feed the TransportCongestionControlServer.
		if (this->tccServer)
		{{
			{MARK}
			const uint64_t arrivalMs = PacketArrival::currentMs;

			this->tccServer->IncomingPacket(arrivalMs != 0u && arrivalMs <= nowMs ? arrivalMs : nowMs, packet);
		}}
"""


if not header.exists():
    header.write_text(HEADER)
patch(udp, MARK, [(UDP_INCLUDE_ANCHOR, UDP_INCLUDE_PATCH), (UDP_ENABLE_ANCHOR, UDP_ENABLE_PATCH), (UDP_RECV_ANCHOR, UDP_RECV_PATCH)])
patch(transport, MARK, [(TRANSPORT_INCLUDE_ANCHOR, TRANSPORT_INCLUDE_PATCH), (TRANSPORT_ANCHOR, TRANSPORT_PATCH)])
