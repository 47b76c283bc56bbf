"""Send a fan-out's datagrams with sendmmsg(2) in batches in the mediasoup 3.12.x worker.

Every classroom on a worker receives through the worker's WebRtcServer, so one teacher packet
becomes hundreds of sendto() calls on that one UDP socket, back to back, inside one call of
`Router::OnTransportProducerRtpPacketReceived`. On this VM each system call's entry and exit cost
about as much as the kernel's work for the datagram: `__libc_sendmsg` alone was 7.6% of the
worker's core at 450 classrooms (bench-fanout's profile), and scripts/bench-sendpath measured
64-datagram batches 0.6 µs cheaper per datagram than one sendto each.

So, while a router hands one packet to its consumers (a `UdpSocketHandler::SendBatch` scope),
datagrams for a batching socket (the WebRtcServer's; `SetBatching(true)`) are copied into a
64-slot batch instead of sent, and go out with sendmmsg() when the batch is full, when a
datagram for another socket or one too large comes, and when the scope ends: the classrooms'
copies leave within the same call as before, in the same order, microseconds apart. Anything
sent outside a scope (RTCP, ICE, DTLS, retransmissions) goes at once, as before.

What happens on trouble is what `Send()` did: when the kernel will not take a datagram now
(EAGAIN) it goes to libuv's send queue with the rest of the batch behind it, in order
(`uv_udp_send`, as `Send()` fell back to after `uv_udp_try_send`), and a socket whose libuv
queue is not empty is not batched, so nothing overtakes it. A datagram refused for good (no
route, a firewall, ENOBUFS) is lost alone, as its `uv_udp_send` would have failed, and the rest
of the batch goes on. Send callbacks (transport-cc's send
times) run as their datagram leaves. A socket being closed sends its batch first.

Applied to a copy of node_modules/mediasoup/worker by scripts/build-worker (scripts/worker_patch.py).
"""
import sys
from pathlib import Path

from worker_patch import patch

MARK = "/* tongke: batched sends */"

root = Path(sys.argv[1])
header = root / "include/handles/UdpSocketHandler.hpp"
source = root / "src/handles/UdpSocketHandler.cpp"
router = root / "src/RTC/Router.cpp"
server = root / "src/RTC/WebRtcServer.cpp"

patch(
    header,
    MARK,
    [
        (
            "\tvoid Send(\n\t  const uint8_t* data, size_t len, const struct sockaddr* addr, UdpSocketHandler::onSendCallback* cb);\n",
            "\tvoid Send(\n\t  const uint8_t* data, size_t len, const struct sockaddr* addr, UdpSocketHandler::onSendCallback* cb);\n"
            f"\t{MARK}\n"
            "\t// While one lives, a batching socket's datagrams wait in one batch and leave by sendmmsg().\n"
            "\tstruct SendBatch\n"
            "\t{\n"
            "\t\tSendBatch();\n"
            "\t\t~SendBatch();\n"
            "\t\tSendBatch(const SendBatch&)            = delete;\n"
            "\t\tSendBatch& operator=(const SendBatch&) = delete;\n"
            "\t};\n"
            "\tvoid SetBatching(bool batching)\n"
            "\t{\n"
            "\t\tthis->batching = batching;\n"
            "\t}\n"
            "\tstatic void FlushBatch();\n",
        ),
        (
            "private:\n\tbool SetLocalAddress();\n",
            "private:\n\tbool SetLocalAddress();\n"
            "\tvoid SendQueued(\n\t  const uint8_t* data, size_t len, const struct sockaddr* addr, UdpSocketHandler::onSendCallback* cb);\n",
        ),
        (
            "\tsize_t sentBytes{ 0u };\n};\n",
            "\tsize_t sentBytes{ 0u };\n\tbool batching{ false };\n};\n",
        ),
    ],
)

BATCH = f"""#include <cstring> // std::memcpy()
#include <cerrno>
#include <functional>
#include <sys/socket.h>

{MARK}
namespace
{{
	// Enough to amortise the system call (bench-sendpath: 64 saves what 8 or 32 do and a little more).
	constexpr size_t BatchSlots{{ 64u }};
	// An RTP packet after SRTP fits a 1500-byte MTU; anything larger goes alone.
	constexpr size_t BatchSlotBytes{{ 1600u }};

	struct BatchSlot
	{{
		uint8_t data[BatchSlotBytes];
		struct sockaddr_storage addr;
		struct iovec iov;
		// UdpSocketHandler::onSendCallback, which is protected.
		const std::function<void(bool sent)>* cb;
	}};

	struct Batch
	{{
		size_t scopes{{ 0u }};
		// A send callback that sends again while a batch goes out must not write into it.
		bool flushing{{ false }};
		UdpSocketHandler* socket{{ nullptr }};
		size_t count{{ 0u }};
		BatchSlot slots[BatchSlots];
		struct mmsghdr messages[BatchSlots];
	}};

	Batch& TheBatch()
	{{
		// Never destroyed: a socket closed during the process's exit may still flush.
		thread_local auto* batch = new Batch();

		return *batch;
	}}

	socklen_t AddressLength(const struct sockaddr* addr)
	{{
		return addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	}}
}} // namespace

UdpSocketHandler::SendBatch::SendBatch()
{{
	TheBatch().scopes++;
}}

UdpSocketHandler::SendBatch::~SendBatch()
{{
	auto& batch = TheBatch();

	if (--batch.scopes == 0u)
		UdpSocketHandler::FlushBatch();
}}

void UdpSocketHandler::FlushBatch()
{{
	auto& batch = TheBatch();
	auto* socket = batch.socket;
	const size_t count = batch.count;

	batch.socket = nullptr;
	batch.count  = 0u;

	if (count == 0u)
		return;

	batch.flushing = true;

	uv_os_fd_t fd;
	size_t done = 0u;

	if (uv_fileno(reinterpret_cast<uv_handle_t*>(socket->uvHandle), &fd) == 0)
	{{
		while (done < count)
		{{
			const int sent = sendmmsg(fd, batch.messages + done, static_cast<unsigned int>(count - done), 0);

			if (sent > 0)
			{{
				for (size_t i{{ done }}; i < done + static_cast<size_t>(sent); ++i)
				{{
					auto& slot = batch.slots[i];

					socket->sentBytes += slot.iov.iov_len;

					if (slot.cb)
					{{
						(*slot.cb)(true);
						delete slot.cb;
					}}
				}}

				done += static_cast<size_t>(sent);
			}}
			else if (errno == EINTR)
			{{
				continue;
			}}
			else if (errno == EAGAIN || errno == EWOULDBLOCK)
			{{
				// The kernel takes no more now: the rest goes through libuv's queue, in order.
				break;
			}}
			else
			{{
				// This datagram is refused (as uv_udp_send() would have been): it alone is lost.
				auto& slot = batch.slots[done];

				if (slot.cb)
				{{
					(*slot.cb)(false);
					delete slot.cb;
				}}

				++done;
			}}
		}}
	}}

	for (size_t i{{ done }}; i < count; ++i)
	{{
		auto& slot = batch.slots[i];

		socket->SendQueued(
		  static_cast<const uint8_t*>(slot.iov.iov_base),
		  slot.iov.iov_len,
		  reinterpret_cast<const struct sockaddr*>(&slot.addr),
		  slot.cb);
	}}

	batch.flushing = false;
}}
"""

SEND_ANCHOR = """	// First try uv_udp_try_send(). In case it can not directly send the datagram
	// then build a uv_req_t and use uv_udp_send().
"""
SEND_PATCH = f"""	{MARK}
	auto& batch = TheBatch();

	if (
	  this->batching && batch.scopes > 0u && !batch.flushing && len <= BatchSlotBytes &&
	  this->uvHandle->send_queue_count == 0u)
	{{
		if (batch.socket != this)
			UdpSocketHandler::FlushBatch();

		auto& slot   = batch.slots[batch.count];
		auto& header = batch.messages[batch.count].msg_hdr;

		std::memcpy(slot.data, data, len);
		std::memcpy(&slot.addr, addr, AddressLength(addr));
		slot.iov.iov_base    = slot.data;
		slot.iov.iov_len     = len;
		slot.cb              = cb;
		header               = {{}};
		header.msg_name      = &slot.addr;
		header.msg_namelen   = AddressLength(addr);
		header.msg_iov       = &slot.iov;
		header.msg_iovlen    = 1;
		batch.socket         = this;

		if (++batch.count == BatchSlots)
			UdpSocketHandler::FlushBatch();

		return;
	}}

	// Nothing sent directly may overtake this socket's batched datagrams.
	if (batch.socket == this)
		UdpSocketHandler::FlushBatch();

""" + SEND_ANCHOR

QUEUED_ANCHOR = """	auto* sendData = new UvSendData(len);
"""
QUEUED_PATCH = """	SendQueued(data, len, addr, cb);
}

void UdpSocketHandler::SendQueued(
  const uint8_t* data, size_t len, const struct sockaddr* addr, UdpSocketHandler::onSendCallback* cb)
{
	MS_TRACE();

	auto* sendData = new UvSendData(len);
"""

CLOSE_ANCHOR = """	this->closed = true;

	// Tell the UV handle that the UdpSocketHandler has been closed.
"""
CLOSE_PATCH = """	// Its batched datagrams were sent before it closed, as they would have been.
	if (TheBatch().socket == this)
		UdpSocketHandler::FlushBatch();

""" + CLOSE_ANCHOR

patch(
    source,
    MARK,
    [
        ("#include <cstring> // std::memcpy()\n", BATCH),
        (SEND_ANCHOR, SEND_PATCH),
        (QUEUED_ANCHOR, QUEUED_PATCH),
        (CLOSE_ANCHOR, CLOSE_PATCH),
        (
            "\tbuffer = uv_buf_init(reinterpret_cast<char*>(sendData->store), len);\n",
            "\tuv_buf_t buffer = uv_buf_init(reinterpret_cast<char*>(sendData->store), len);\n",
        ),
    ],
)

patch(
    router,
    MARK,
    [
        (
            """			std::shared_ptr<RTC::RtpPacket> sharedPacket;

			for (auto* consumer : consumers)
""",
            f"""			std::shared_ptr<RTC::RtpPacket> sharedPacket;
			{MARK}
			const UdpSocketHandler::SendBatch sendBatch;

			for (auto* consumer : consumers)
""",
        ),
        ('#include "RTC/Router.hpp"\n', '#include "RTC/Router.hpp"\n#include "handles/UdpSocketHandler.hpp"\n'),
    ],
)

patch(
    server,
    MARK,
    [
        (
            """					this->udpSocketOrTcpServers.emplace_back(udpSocket, nullptr, listenInfo.announcedIp);
""",
            f"""					{MARK}
					// All its classrooms' copies of a packet leave through this one socket.
					udpSocket->SetBatching(true);

					this->udpSocketOrTcpServers.emplace_back(udpSocket, nullptr, listenInfo.announcedIp);
""",
        ),
    ],
)
