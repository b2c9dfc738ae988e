// `arena play` (the SFML viewer, under xvfb-run) and `arena record` (MP4 and
// GIF through FFmpeg) end to end: the window shows what the CPU rasterizer
// draws, videos decode back to the frames written, no display is exit 2.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "cli/run_arena.h"
#include "render/png_writer.h"
#include "render/video_writer.h"

namespace {

namespace fs = std::filesystem;

using ::arena::test::Proc;
using ::arena::test::slurp;

fs::path test_dir() { return ::arena::test::scratch_dir("viewer_test"); }

// Runs `prefix ARENA_BIN args` through the shell.
Proc run(const std::string& prefix, const std::string& args) {
  return ::arena::test::run_arena(prefix, args, "viewer_test");
}
Proc arena(const std::string& args) { return run("", args); }

bool have_xvfb_run() { return std::system("command -v xvfb-run >/dev/null 2>&1") == 0; }

// A virtual X display for the viewer; a hang fails the test. -a picks a free
// display number, starting from one derived from the pid so that tests run
// in parallel (ctest -j) do not race for the same number.
std::string xvfb() {
  return "timeout -k 10 300 xvfb-run -a -n " + std::to_string(100 + ::getpid() % 20000) +
         " -s '-screen 0 1280x1024x24' ";
}

// ---------------------------------------------------------------------------
// No display
// ---------------------------------------------------------------------------

TEST(Play, WithoutADisplayExitsTwoAndSuggestsRecord) {
  for (const char* env : {"env -u DISPLAY ", "env DISPLAY=:31999 "}) {  // unset; set to a display nobody serves
    const Proc r = run(env, "play --env CartPole-v1 --max-steps 5");
    EXPECT_EQ(r.rc, 2) << env << r.err;  // not an abort (134)
    EXPECT_NE(r.err.find("cannot open a window"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("arena record"), std::string::npos) << r.err;
  }
}

TEST(Play, BadInputExitsTwoNamingIt) {
  Proc r = run("env -u DISPLAY ", "play --env CartPole-v0");
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("CartPole-v1"), std::string::npos) << r.err;
  r = run("env -u DISPLAY ", "play /nonexistent/run");
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("/nonexistent/run"), std::string::npos) << r.err;
  r = run("env -u DISPLAY ", "play --env BipedalWalker-v3 --agent human");
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("no key map"), std::string::npos) << r.err;
  r = run("env -u DISPLAY ", "play --env CartPole-v1 --speed 3");
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("--speed"), std::string::npos) << r.err;
}

TEST(PlayAndRecord, HelpDescribesEveryOption) {
  const Proc top = arena("--help");
  EXPECT_NE(top.out.find("play"), std::string::npos);
  EXPECT_NE(top.out.find("record"), std::string::npos);
  const Proc play = arena("play --help");
  EXPECT_EQ(play.rc, 0);
  for (const char* opt : {"--env", "--agent", "--seed", "--max-steps", "--screenshot", "--speed", "--scale", "--stats",
                          "run_dir", "human", "space", "screenshot"})
    EXPECT_NE(play.out.find(opt), std::string::npos) << opt << "\n" << play.out;
  const Proc rec = arena("record --help");
  EXPECT_EQ(rec.rc, 0);
  for (const char* opt : {"--env", "--agent", "--seed", "--episodes", "--out", "--max-steps", "--fps", "--scale",
                          "run_dir", ".mp4", ".gif"})
    EXPECT_NE(rec.out.find(opt), std::string::npos) << opt << "\n" << rec.out;
}

// ---------------------------------------------------------------------------
// The window against the CPU rasterizer
// ---------------------------------------------------------------------------

// The window's env viewport may differ from the CPU rasterizer's frame of
// the same state only along edges, by antialiasing (OpenGL 4x multisampling
// against exact area coverage), and in text (DejaVu Sans against the 5x7
// bitmap font; these envs draw none in their viewport): on average by less
// than kMaxMeanAbsDiff per channel (0..255), and by more than kBigDiff in
// any channel on less than kMaxBigDiffShare of the pixels. An edge pixel
// differs by at most about 1/8 of a step (4 samples against exact
// coverage), while a missing or misplaced shape differs by its whole
// contrast over its whole area: the lander (~1200 pixels) is 0.5% of
// LunarLander's viewport, a MinAtar cell 1%.
constexpr double kMaxMeanAbsDiff = 0.5;
constexpr int kBigDiff = 64;
constexpr double kMaxBigDiffShare = 0.001;

struct ScreenshotCase {
  const char* id;
  int steps;  // short enough that the episode does not end first (checked)
};

class PlayScreenshot : public ::testing::TestWithParam<ScreenshotCase> {};

TEST_P(PlayScreenshot, ViewportAgreesWithTheCpuRasterizer) {
  // scripts/setup installs xvfb: without it the test cannot run, which is a failure, not a skip.
  ASSERT_TRUE(have_xvfb_run()) << "xvfb-run is missing: run scripts/setup (Debian package xvfb)";
  const ScreenshotCase c = GetParam();
  std::string name = c.id;
  for (char& ch : name)
    if (ch == '/') ch = '_';
  const fs::path shot = test_dir() / (name + "_window.png");
  const fs::path cpu = test_dir() / (name + "_cpu.png");
  const std::string seed = "7";
  const Proc p = run(xvfb(), "play --env " + std::string(c.id) + " --seed " + seed + " --max-steps " +
                                 std::to_string(c.steps) + " --speed max --screenshot " + shot.string());
  ASSERT_EQ(p.rc, 0) << p.out << p.err;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(p.out, m, std::regex(R"(env viewport x=(\d+) y=(\d+) w=(\d+) h=(\d+))"))) << p.out;
  const int vx = std::stoi(m[1]), vy = std::stoi(m[2]), vw = std::stoi(m[3]), vh = std::stoi(m[4]);

  // The same state: `arena render` resets with the seed and takes the same random actions.
  const Proc r = arena("render " + std::string(c.id) + " --seed " + seed + " --steps " + std::to_string(c.steps) +
                       " --size " + std::to_string(vw) + "x" + std::to_string(vh) + " --out " + cpu.string());
  ASSERT_EQ(r.rc, 0) << r.err;
  ASSERT_EQ(r.out.find("episode ended"), std::string::npos) << "pick fewer steps: " << r.out;

  const arena::Image window = arena::read_png(shot.string());
  const arena::Image raster = arena::read_png(cpu.string());
  ASSERT_GE(window.width, vx + vw);
  ASSERT_GE(window.height, vy + vh);
  double diff[3] = {0, 0, 0};
  int big = 0;
  std::map<std::uint32_t, int> colours;
  for (int y = 0; y < vh; ++y)
    for (int x = 0; x < vw; ++x) {
      const std::uint8_t* a = window.pixel(vx + x, vy + y);
      const std::uint8_t* b = raster.pixel(x, y);
      int worst = 0;
      for (int k = 0; k < 3; ++k) {
        const int d = std::abs(int(a[k]) - int(b[k]));
        diff[k] += d;
        worst = std::max(worst, d);
      }
      big += worst > kBigDiff;
      ++colours[(std::uint32_t(a[0]) << 16) | (std::uint32_t(a[1]) << 8) | a[2]];
    }
  const double n = double(vw) * vh;
  // Non-trivial: more than one colour, and the most common one covers less than 99% of the viewport.
  int most = 0;
  for (const auto& [col, count] : colours) most = std::max(most, count);
  EXPECT_GT(colours.size(), 2u) << c.id;
  EXPECT_LT(most, 0.99 * n) << c.id << ": the viewport is (almost) one colour";
  for (int k = 0; k < 3; ++k) {
    EXPECT_LT(diff[k] / n, kMaxMeanAbsDiff) << c.id << " channel " << k;
    std::printf("[ measured ] %s channel %d: mean |window - raster| = %.3f (limit %.1f)\n", c.id, k, diff[k] / n,
                kMaxMeanAbsDiff);
  }
  EXPECT_LT(big / n, kMaxBigDiffShare) << c.id;
  std::printf("[ measured ] %s: %.4f%% of the pixels differ by more than %d (limit %.2f%%)\n", c.id, 100 * big / n,
              kBigDiff, 100 * kMaxBigDiffShare);
  // The HUD panel (right of the viewport) is drawn too.
  std::set<std::uint32_t> hud;
  for (int y = 0; y < window.height; ++y)
    for (int x = vx + vw; x < window.width; ++x) {
      const std::uint8_t* a = window.pixel(x, y);
      hud.insert((std::uint32_t(a[0]) << 16) | (std::uint32_t(a[1]) << 8) | a[2]);
    }
  EXPECT_GT(hud.size(), 10u) << "the HUD panel looks empty";
}

INSTANTIATE_TEST_SUITE_P(Envs, PlayScreenshot,
                         ::testing::Values(ScreenshotCase{"LunarLander-v3", 40}, ScreenshotCase{"CartPole-v1", 6},
                                           ScreenshotCase{"MinAtar/Breakout-v1", 10}),
                         [](const auto& param_info) {
                           std::string s = param_info.param.id;
                           for (char& ch : s)
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           return s;
                         });

// ---------------------------------------------------------------------------
// Videos
// ---------------------------------------------------------------------------

// Episode lengths of `arena eval --agent random` (the same actions as record's random agent).
double random_length_mean(const std::string& id, int episodes, int seed) {
  const Proc r = arena("eval --env " + id + " --agent random --episodes " + std::to_string(episodes) + " --seed " +
                       std::to_string(seed) + " --json");
  EXPECT_EQ(r.rc, 0) << r.err;
  return nlohmann::json::parse(r.out)["length_mean"].get<double>();
}

TEST(Record, Mp4AndGifDecodeToTheFramesWritten) {
  const fs::path dir = test_dir() / "videos";
  fs::create_directories(dir);
  // CartPole: two random episodes, one frame per step plus each episode's first.
  const std::int64_t expected = std::llround(2 * random_length_mean("CartPole-v1", 2, 5)) + 2;
  for (const char* ext : {".mp4", ".gif"}) {
    const fs::path out = dir / (std::string("cartpole") + ext);
    const Proc r = arena("record --env CartPole-v1 --episodes 2 --seed 5 --out " + out.string());
    ASSERT_EQ(r.rc, 0) << r.err;
    EXPECT_NE(r.out.find(std::to_string(expected) + " frames (880x400"), std::string::npos) << r.out;
    const arena::VideoInfo info = arena::probe_video(out);
    EXPECT_EQ(info.frames, expected) << ext;
    EXPECT_EQ(info.width, 880) << ext;
    EXPECT_EQ(info.height, 400) << ext;
    EXPECT_EQ(info.codec, std::string(ext) == ".mp4" ? "h264" : "gif");
  }
  // LunarLander, capped: 30 steps + the first frame.
  const fs::path ll = dir / "lunar.mp4";
  ASSERT_EQ(arena("record --env LunarLander-v3 --max-steps 30 --out " + ll.string()).rc, 0);
  EXPECT_EQ(arena::probe_video(ll).frames, 31);
  // Written atomically: nothing but the finished files in the directory.
  for (const auto& e : fs::directory_iterator(dir))
    EXPECT_EQ(e.path().filename().string().find(".tmp"), std::string::npos) << e.path();
}

TEST(Record, BadOutputExitsTwo) {
  Proc r = arena("record --env CartPole-v1 --out " + (test_dir() / "x.avi").string());
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find(".mp4 or .gif"), std::string::npos) << r.err;
  r = arena("record --env CartPole-v1 --out /nonexistent/dir/x.mp4");
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("/nonexistent/dir"), std::string::npos) << r.err;
  r = arena("record --env CartPole-v1 --agent human --out " + (test_dir() / "h.mp4").string());
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("human"), std::string::npos) << r.err;
}

TEST(Record, TrainingWritesEvaluationVideos) {
  const fs::path run_dir = test_dir() / "run";
  fs::remove_all(run_dir);
  const Proc r = arena("train --quiet --run-dir " + run_dir.string() +
                       " --set train.total_steps=400 --set train.record_every=200 --set train.eval_every=0"
                       " --set train.final_eval_episodes=1 --set agent.learning_starts=100");
  ASSERT_EQ(r.rc, 0) << r.out << r.err;
  for (const char* step : {"000000000200", "000000000400"}) {
    const fs::path video = run_dir / "videos" / (std::string("step_") + step + ".mp4");
    ASSERT_TRUE(fs::exists(video)) << video;
    const arena::VideoInfo info = arena::probe_video(video);
    EXPECT_GE(info.frames, 2) << video;
    EXPECT_EQ(info.width, 880);
  }
  EXPECT_NE(slurp(run_dir / "config.toml").find("record_every = 200"), std::string::npos);
}

TEST(Record, ATrainedRunPlaysItsPolicy) {
  // The run of the test above, or a fresh short one.
  const fs::path run_dir = test_dir() / "run_for_record";
  fs::remove_all(run_dir);
  ASSERT_EQ(arena("train --quiet --run-dir " + run_dir.string() +
                  " --set train.total_steps=300 --set train.eval_every=100 --set train.eval_episodes=1"
                  " --set train.final_eval_episodes=1 --set agent.learning_starts=100")
                .rc,
            0);
  const fs::path out = test_dir() / "trained.gif";
  const Proc r = arena("record " + run_dir.string() + " --max-steps 20 --out " + out.string());
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("best_policy.pt"), std::string::npos) << r.out;
  EXPECT_GE(arena::probe_video(out).frames, 2);
}

}  // namespace
