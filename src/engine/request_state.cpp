#include "engine/request_state.h"

#include <cassert>

namespace rocmforge::engine {

std::string_view request_state_name(RequestState state) {
  switch (state) {
    case RequestState::kWaiting:
      return "waiting";
    case RequestState::kPrefilling:
      return "prefilling";
    case RequestState::kDecoding:
      return "decoding";
    case RequestState::kPreempted:
      return "preempted";
    case RequestState::kFinished:
      return "finished";
  }
  return "unknown";
}

bool is_legal_transition(RequestState from, RequestState to) {
  using S = RequestState;
  switch (from) {
    case S::kWaiting:
      return to == S::kPrefilling || to == S::kFinished;
    case S::kPrefilling:
      return to == S::kDecoding || to == S::kPreempted || to == S::kFinished;
    case S::kDecoding:
      return to == S::kPreempted || to == S::kFinished;
    case S::kPreempted:
      return to == S::kWaiting;
    case S::kFinished:
      return false;
  }
  return false;
}

void transition(RequestState& state, RequestState to) {
  assert(is_legal_transition(state, to) && "illegal request state transition");
  state = to;
}

}  // namespace rocmforge::engine
