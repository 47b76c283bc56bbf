"""Recycle the retransmission buffer's items in the mediasoup 3.12.x worker instead of new/delete.

Every packet a classroom is sent goes into its consumer's NACK buffer (`RtpRetransmissionBuffer`)
as a heap-allocated `Item`, and the item it pushes out is deleted: one `malloc` and one `free` per
packet per classroom. At 450 classrooms the worker's profile (bench-fanout) had `malloc`,
`_int_free`, `malloc_consolidate` and `unlink_chunk` at ~1.3% of its core. Items are all one size,
and the worker is single-threaded, so a free list (capped, so a burst of large buffers does not
pin memory) hands a released item to the next insert. Items are reset (their packet reference
dropped) before they go back, as before the delete.

Applied to a copy of node_modules/mediasoup/worker by scripts/build-worker (scripts/worker_patch.py).
"""
import sys
from pathlib import Path

from worker_patch import patch_each

MARK = "/* tongke: recycled retransmission items */"

source = Path(sys.argv[1]) / "src/RTC/RtpRetransmissionBuffer.cpp"

POOL = f"""#include "RTC/SeqManager.hpp"
#include <vector>

{MARK}
namespace
{{
	// Enough for a worker's worth of buffers to turn over; beyond it, items are freed.
	constexpr size_t MaxRecycledItems{{ 1u << 16 }};

	std::vector<RTC::RtpRetransmissionBuffer::Item*>& RecycledItems()
	{{
		// Never destroyed: a buffer cleared during the process's exit may still hand items back.
		thread_local auto* items = new std::vector<RTC::RtpRetransmissionBuffer::Item*>();

		return *items;
	}}

	RTC::RtpRetransmissionBuffer::Item* NewItem()
	{{
		auto& items = RecycledItems();

		if (items.empty())
			return new RTC::RtpRetransmissionBuffer::Item();

		auto* item = items.back();

		items.pop_back();

		return item;
	}}

	// The item must be reset already (no packet held).
	void RecycleItem(RTC::RtpRetransmissionBuffer::Item* item)
	{{
		auto& items = RecycledItems();

		if (items.size() >= MaxRecycledItems)
		{{
			delete item;

			return;
		}}

		items.push_back(item);
	}}
}} // namespace
"""

patch_each(
    source,
    MARK,
    [
        # Clear() (deeper) before RemoveOldest(): the shallower anchor is inside the deeper one.
        ("\t\t\tdelete item;\n", "\t\t\tRecycleItem(item);\n", 1),
        ("\t\tdelete item;\n", "\t\tRecycleItem(item);\n", 1),
        ("new Item();", "NewItem();", 6),
        # Last, as the pool's own code holds a new and a delete.
        ('#include "RTC/SeqManager.hpp"\n', POOL + "\n", 1),
    ],
)
