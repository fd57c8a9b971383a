// A request's life inside the engine, as an explicit state machine:
//
//   waiting ──► prefilling ──► decoding ──► finished (stop, length, cancelled, error)
//      ▲            │             │
//      └─ preempted ◄─────────────┘        waiting and prefilling may finish too
//
// Prefilling computes the tokens not in the KV cache yet (the prompt, or
// prompt and output again after a preemption); decoding adds one token per
// step. Only the transitions drawn are legal; transition() asserts it.
#pragma once

#include <string_view>

namespace rocmforge::engine {

enum class RequestState { kWaiting, kPrefilling, kDecoding, kPreempted, kFinished };

std::string_view request_state_name(RequestState state);
bool is_legal_transition(RequestState from, RequestState to);

// Moves `state` to `to`, asserting that the move is legal.
void transition(RequestState& state, RequestState to);

}  // namespace rocmforge::engine
