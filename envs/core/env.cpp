#include "envs/core/env.h"

#include <stdexcept>
#include <string>

#include "envs/core/draw_list.h"

namespace arena {

void Env::check_obs_buffer(const ObsBuffer& out) const {
  const Space& s = spec_.observation_space;
  if (out.dtype != s.dtype() || out.count != s.size() || out.data == nullptr)
    throw std::invalid_argument(spec_.id + ": observation buffer holds " + std::to_string(out.count) + " " +
                                dtype_name(out.dtype) + ", the observation space " + s.repr() + " needs " +
                                std::to_string(s.size()) + " " + dtype_name(s.dtype()));
}

void Env::reset(ObsBuffer out, std::optional<std::uint64_t> seed, const Options& options) {
  check_obs_buffer(out);
  if (seed) {
    rng_.seed(*seed);
    seeded_ = true;
  } else if (!seeded_) {
    rng_.seed(Rng::entropy_seed());
    seeded_ = true;
  }
  do_reset(out, seed, options);
  cache_step_checks();
  needs_reset_ = false;
}

void Env::cache_step_checks() {
  const Space& obs = spec_.observation_space;
  const Space& act = spec_.action_space;
  obs_dtype_ = obs.dtype();
  obs_count_ = obs.size();
  act_dtype_ = act.dtype();
  act_count_ = act.size();
  act_discrete_ = act.is_discrete();
  act_lo_ = act.start();
  act_hi_ = act.start() + act.n() - 1;
}

void Env::save_state(StateWriter& out) const {
  out.tag(spec_.id.empty() ? "env" : spec_.id);
  out.pod(rng_.state());
  out.pod(static_cast<std::uint8_t>(needs_reset_ | (seeded_ << 1)));
  do_save_state(out);
}

void Env::load_state(StateReader& in) {
  in.expect_tag(spec_.id.empty() ? "env" : spec_.id);
  const auto rng_state = in.pod<Rng::State>();
  const auto flags = in.pod<std::uint8_t>();
  do_load_state(in);
  rng_.set_state(rng_state);
  needs_reset_ = flags & 1;
  seeded_ = flags & 2;
  cache_step_checks();
}

void Env::do_save_state(StateWriter&) const {
  throw std::logic_error((spec_.id.empty() ? std::string("this env") : spec_.id) +
                         " does not support saving its state");
}

void Env::do_load_state(StateReader&) {
  throw std::logic_error((spec_.id.empty() ? std::string("this env") : spec_.id) +
                         " does not support loading its state");
}

void Env::throw_bad_step(ActionView action, ObsBuffer out) const {
  if (needs_reset_) throw std::logic_error(spec_.id + ": step() called before reset()");
  check_obs_buffer(out);
  const Space& a = spec_.action_space;
  if (action.dtype != a.dtype() || action.count != a.size() || action.data == nullptr)
    throw std::invalid_argument(spec_.id + ": action buffer holds " + std::to_string(action.count) + " " +
                                dtype_name(action.dtype) + ", the action space " + a.repr() + " needs " +
                                std::to_string(a.size()) + " " + dtype_name(a.dtype()));
  const std::int64_t v = *static_cast<const std::int64_t*>(action.data);
  throw std::out_of_range(spec_.id + ": action " + std::to_string(v) + " is not in " + a.repr());
}

StepResult Env::step(std::int64_t discrete_action, ObsBuffer out) {
  return step(ActionView(&discrete_action, DType::Int64, 1), out);
}

StepResult Env::step(std::span<const float> box_action, ObsBuffer out) {
  return step(ActionView(box_action.data(), DType::Float32, box_action.size()), out);
}

Wrapper::Wrapper(std::unique_ptr<Env> inner) : inner_(std::move(inner)) {
  if (!inner_) throw std::invalid_argument("Wrapper: no env to wrap");
  spec_ = inner_->spec();
}

void Wrapper::draw(DrawList& out) const { inner_->draw(out); }

void Wrapper::do_reset(ObsBuffer out, std::optional<std::uint64_t> seed, const Options& options) {
  inner_->reset(out, seed, options);
}

void Wrapper::do_save_state(StateWriter& out) const { inner_->save_state(out); }

void Wrapper::do_load_state(StateReader& in) { inner_->load_state(in); }


}  // namespace arena
