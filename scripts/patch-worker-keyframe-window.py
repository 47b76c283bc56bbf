"""One key-frame window per producer in the mediasoup 3.12.x worker, not one per simulcast layer.

A producer's `keyFrameRequestDelay` (Tongke: KEY_FRAME_REQUEST_DELAY_MS, 1 s) lets one key-frame
request through per SSRC and holds the rest until the delay is over. But Chrome's VP8 simulcast
answers a request on any layer with a key frame on every layer, so three layers asked in turn
(classrooms joining on the 320-px layer while others climb to 640 and 1280 px, or a lossy
classroom beside them) made up to three key frames a second on every layer. Each costs the
encoder several frames' worth of bits: in one of bench-fanout's 20/s join storms the teacher's
camera went out at ~5 frames a second on every layer, to every classroom, not just the joining
ones (bench/results/fanout.md gives the frames and key frames per layer of the latest storm).

After this patch the first request opens a window for the whole producer; a request for any
layer inside it waits for the window's end, as a request on the same layer always did; and a key
frame arriving on a layer answers the requests waiting there, so none is asked again for
nothing. Joins wait no longer than before (at most one window). An encoder that answered on one
layer only would see the other layers asked one window apart; the teacher's page sends VP8
(the router offers no other video codec, server/media/codecs.ts), whose simulcast answers on
all of them. mediasoup's PipeConsumer asks for every layer at once whenever a classroom on another worker needs a key
frame: that was three requests, and is now one (test/integration/keyFrameWindow.test.ts).

Applied to a copy of node_modules/mediasoup/worker by scripts/build-worker (scripts/worker_patch.py).
"""
import sys
from pathlib import Path

from worker_patch import patch

MARK = "/* tongke: one key-frame window per producer */"

root = Path(sys.argv[1])
header = root / "include/RTC/KeyFrameRequestManager.hpp"
source = root / "src/RTC/KeyFrameRequestManager.cpp"

HEADER_ANCHOR = "\t\tabsl::flat_hash_map<uint32_t, KeyFrameRequestDelayer*> mapSsrcKeyFrameRequestDelayer;\n"
HEADER_PATCH = HEADER_ANCHOR + f"\t\t{MARK}\n\t\tuint64_t keyFrameWindowEndMs{{ 0u }};\n"

INCLUDE_ANCHOR = '#include "Logger.hpp"\n'
INCLUDE_PATCH = '#include "DepLibUV.hpp"\n' + INCLUDE_ANCHOR

# KeyFrameNeeded: a layer with no delayer of its own still waits while the producer's window is open.
NEEDED_ANCHOR = """		// Otherwise create a delayer (not yet enabled) and continue.
		else
		{
"""
NEEDED_PATCH = NEEDED_ANCHOR + f"""			{MARK}
			const uint64_t nowMs = DepLibUV::GetTimeMs();

			if (nowMs < this->keyFrameWindowEndMs)
			{{
				auto* keyFrameRequestDelayer =
				  new KeyFrameRequestDelayer(this, ssrc, this->keyFrameWindowEndMs - nowMs);

				keyFrameRequestDelayer->SetKeyFrameRequested(true);
				this->mapSsrcKeyFrameRequestDelayer[ssrc] = keyFrameRequestDelayer;

				return;
			}}

			this->keyFrameWindowEndMs = nowMs + this->keyFrameRequestDelay;

"""

# ForceKeyFrameNeeded (producer resumed, new stream) sends at once: its window starts then too.
FORCE_ANCHOR = """		// Create/replace a delayer for this ssrc.
"""
FORCE_PATCH = f"""		{MARK}
		this->keyFrameWindowEndMs = DepLibUV::GetTimeMs() + this->keyFrameRequestDelay;

""" + FORCE_ANCHOR

# KeyFrameReceived: the key frame answers the requests held on its layer.
RECEIVED_ANCHOR = """void RTC::KeyFrameRequestManager::KeyFrameReceived(uint32_t ssrc)
{
	MS_TRACE();
"""
RECEIVED_PATCH = RECEIVED_ANCHOR + f"""
	{MARK}
	{{
		auto delayerIt = this->mapSsrcKeyFrameRequestDelayer.find(ssrc);

		if (delayerIt != this->mapSsrcKeyFrameRequestDelayer.end())
			delayerIt->second->SetKeyFrameRequested(false);
	}}
"""


patch(header, MARK, [(HEADER_ANCHOR, HEADER_PATCH)])
patch(source, MARK, [(INCLUDE_ANCHOR, INCLUDE_PATCH), (NEEDED_ANCHOR, NEEDED_PATCH), (FORCE_ANCHOR, FORCE_PATCH), (RECEIVED_ANCHOR, RECEIVED_PATCH)])
