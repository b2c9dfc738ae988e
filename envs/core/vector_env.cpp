#include "envs/core/vector_env.h"

#include <cstring>
#include <stdexcept>
#include <string>
#include <utility>

#include "envs/core/registry.h"

namespace arena {

const char* autoreset_mode_name(AutoresetMode mode) {
  switch (mode) {
    case AutoresetMode::SameStep: return "same_step";
    case AutoresetMode::NextStep: return "next_step";
  }
  return "?";
}

VectorEnv::VectorEnv(const Factory& make, std::size_t num_envs, AutoresetMode mode) : mode_(mode) {
  if (num_envs == 0) throw std::invalid_argument("VectorEnv: num_envs must be at least 1");
  if (!make) throw std::invalid_argument("VectorEnv: no factory");
  envs_.reserve(num_envs);
  for (std::size_t i = 0; i < num_envs; ++i) {
    std::unique_ptr<Env> e = make();
    if (!e) throw std::invalid_argument("VectorEnv: the factory returned no env");
    if (i > 0 && (e->observation_space() != envs_.front()->observation_space() ||
                  e->action_space() != envs_.front()->action_space())) {
      throw std::invalid_argument("VectorEnv: env " + std::to_string(i) + " (" + e->spec().id +
                                  ") has other spaces than env 0: " + e->observation_space().repr() + " / " +
                                  e->action_space().repr() + " vs " + envs_.front()->observation_space().repr() +
                                  " / " + envs_.front()->action_space().repr());
    }
    envs_.push_back(std::move(e));
  }

  const Space& os = single_observation_space();
  const Space& as = single_action_space();
  obs_size_ = os.size();
  obs_bytes_ = obs_size_ * dtype_size(os.dtype());
  action_size_ = as.size();
  action_dtype_ = as.dtype();

  std::vector<std::int64_t> shape{static_cast<std::int64_t>(num_envs)};
  shape.insert(shape.end(), os.shape().begin(), os.shape().end());
  obs_ = Array(os.dtype(), shape);
  final_obs_ = Array(os.dtype(), std::move(shape));
  rewards_.assign(num_envs, 0.0);
  terminated_.assign(num_envs, 0);
  truncated_.assign(num_envs, 0);
  ended_.assign(num_envs, 0);
  was_reset_.assign(num_envs, 0);
  pending_reset_.assign(num_envs, 0);
}

VectorEnv VectorEnv::make(const Registry& registry, std::string_view id, std::size_t num_envs,
                          const Options& options, AutoresetMode mode) {
  const std::string name(id);
  return VectorEnv([&] { return registry.make(name, options); }, num_envs, mode);
}

Buffer VectorEnv::obs_row(Array& a, std::size_t i) {
  return {static_cast<unsigned char*>(a.view().data) + i * obs_bytes_, a.dtype(), obs_size_};
}

ConstBuffer VectorEnv::observation(std::size_t i) const {
  if (i >= num_envs()) throw std::out_of_range("VectorEnv::observation: no env " + std::to_string(i));
  return {static_cast<const unsigned char*>(obs_.view().data) + i * obs_bytes_, obs_.dtype(), obs_size_};
}

ConstBuffer VectorEnv::final_observation(std::size_t i) const {
  if (i >= num_envs()) throw std::out_of_range("VectorEnv::final_observation: no env " + std::to_string(i));
  return {static_cast<const unsigned char*>(final_obs_.view().data) + i * obs_bytes_, final_obs_.dtype(),
          obs_size_};
}

void VectorEnv::reset(std::optional<std::uint64_t> seed, const Options& options) {
  for (std::size_t i = 0; i < envs_.size(); ++i) {
    std::optional<std::uint64_t> s;
    if (seed) s = *seed + i;
    envs_[i]->reset(obs_row(obs_, i), s, options);
    rewards_[i] = 0;
    terminated_[i] = truncated_[i] = ended_[i] = was_reset_[i] = pending_reset_[i] = 0;
  }
  needs_reset_ = false;
}

void VectorEnv::step(ConstBuffer actions) {
  if (needs_reset_) throw std::logic_error("VectorEnv: step() called before reset()");
  const std::size_t n = envs_.size();
  if (actions.dtype != action_dtype_ || actions.count != n * action_size_ || actions.data == nullptr) {
    throw std::invalid_argument("VectorEnv: actions hold " + std::to_string(actions.count) + " " +
                                dtype_name(actions.dtype) + ", " + std::to_string(n) + " envs with action space " +
                                single_action_space().repr() + " need " + std::to_string(n * action_size_) + " " +
                                dtype_name(action_dtype_));
  }
  // Check Discrete actions before stepping anything, so that a bad action
  // leaves every env as it was.
  const Space& as = single_action_space();
  if (as.is_discrete()) {
    const auto* a = static_cast<const std::int64_t*>(actions.data);
    for (std::size_t i = 0; i < n; ++i) {
      if (mode_ == AutoresetMode::NextStep && pending_reset_[i]) continue;  // ignored
      if (a[i] < as.start() || a[i] >= as.start() + as.n()) {
        throw std::out_of_range("VectorEnv: action " + std::to_string(a[i]) + " of env " + std::to_string(i) +
                                " is not in " + as.repr());
      }
    }
  }

  const auto* action_bytes = static_cast<const unsigned char*>(actions.data);
  const std::size_t action_stride = action_size_ * dtype_size(action_dtype_);
  for (std::size_t i = 0; i < n; ++i) {
    Env& e = *envs_[i];
    const Buffer row = obs_row(obs_, i);

    if (mode_ == AutoresetMode::NextStep && pending_reset_[i]) {
      // The episode ended in the previous step: reset, ignoring the action.
      e.reset(row, std::nullopt, no_options_);
      rewards_[i] = 0;
      terminated_[i] = truncated_[i] = ended_[i] = 0;
      was_reset_[i] = 1;
      pending_reset_[i] = 0;
      continue;
    }

    const StepResult r = e.step(ConstBuffer(action_bytes + i * action_stride, action_dtype_, action_size_), row);
    rewards_[i] = r.reward;
    terminated_[i] = r.terminated ? 1 : 0;
    truncated_[i] = r.truncated ? 1 : 0;
    ended_[i] = r.done() ? 1 : 0;
    was_reset_[i] = 0;
    if (r.done()) {
      std::memcpy(obs_row(final_obs_, i).data, row.data, obs_bytes_);
      if (mode_ == AutoresetMode::SameStep) {
        e.reset(row, std::nullopt, no_options_);
        was_reset_[i] = 1;
      } else {
        pending_reset_[i] = 1;
      }
    }
  }
}

void VectorEnv::draw(std::size_t i, DrawList& out) const { envs_.at(i)->draw(out); }

void VectorEnv::save_state(StateWriter& out) const {
  out.tag("VectorEnv");
  out.pod<std::uint64_t>(envs_.size());
  for (const auto& e : envs_) e->save_state(out);
  const auto* obs = static_cast<const std::uint8_t*>(obs_.view().data);
  const auto* fin = static_cast<const std::uint8_t*>(final_obs_.view().data);
  out.bytes(obs, obs_bytes_ * envs_.size());
  out.bytes(fin, obs_bytes_ * envs_.size());
  out.vec(rewards_);
  out.vec(terminated_);
  out.vec(truncated_);
  out.vec(ended_);
  out.vec(was_reset_);
  out.vec(pending_reset_);
  out.pod(needs_reset_);
}

void VectorEnv::load_state(StateReader& in) {
  in.expect_tag("VectorEnv");
  const auto n = in.pod<std::uint64_t>();
  if (n != envs_.size())
    throw std::runtime_error("VectorEnv state holds " + std::to_string(n) + " envs, this VectorEnv has " +
                             std::to_string(envs_.size()));
  for (auto& e : envs_) e->load_state(in);
  in.bytes(obs_.view().data, obs_bytes_ * n);
  in.bytes(final_obs_.view().data, obs_bytes_ * n);
  in.vec(rewards_, n);
  in.vec(terminated_, n);
  in.vec(truncated_, n);
  in.vec(ended_, n);
  in.vec(was_reset_, n);
  in.vec(pending_reset_, n);
  in.pod(needs_reset_);
}

}  // namespace arena
