#include "render/video_writer.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libavutil/log.h>
#include <libavutil/opt.h>
#include <libswscale/swscale.h>
}

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstring>

#include "envs/core/file_io.h"

namespace arena {

namespace fs = std::filesystem;

namespace {

std::string av_error(int code) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(code, buf, sizeof buf);
  return buf;
}

[[noreturn]] void fail(const fs::path& path, const std::string& what, int code = 0) {
  throw VideoError("cannot write video " + path.string() + ": " + what + (code ? " (" + av_error(code) + ")" : ""));
}

}  // namespace

VideoFormat video_format_of(const fs::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (ext == ".mp4") return VideoFormat::Mp4;
  if (ext == ".gif") return VideoFormat::Gif;
  throw std::invalid_argument("unsupported video file '" + path.string() + "': the name must end in .mp4 or .gif");
}

struct VideoWriter::Impl {
  fs::path path, tmp;
  VideoFormat format = VideoFormat::Mp4;
  int width = 0, height = 0;
  AVFormatContext* fmt = nullptr;
  AVCodecContext* enc = nullptr;
  AVStream* stream = nullptr;
  AVFrame* frame = nullptr;
  AVPacket* packet = nullptr;
  SwsContext* sws = nullptr;
  std::int64_t frames = 0;
  double ticks_per_frame = 1;  // in the encoder's time base
  bool finished = false;

  ~Impl() {
    if (sws) sws_freeContext(sws);
    av_frame_free(&frame);
    av_packet_free(&packet);
    avcodec_free_context(&enc);
    if (fmt) {
      if (fmt->pb) avio_closep(&fmt->pb);
      avformat_free_context(fmt);
    }
    if (!finished && !tmp.empty()) ::unlink(tmp.c_str());
  }

  // GIF: a fixed palette, the 6x7x6 colour cube (252 colours) plus four dark
  // greys (HUD panels), each pixel mapped to the nearest entry through a
  // 15-bit lookup table, no dithering: what does not change between frames
  // stays byte-identical, and the encoder stores only the changed rectangle.
  std::array<std::uint32_t, 256> palette{};
  std::vector<std::uint8_t> lut;  // (r >> 3, g >> 3, b >> 3) -> palette index

  void build_palette() {
    for (int i = 0; i < 252; ++i) {
      const int r = i / 42, g = (i / 6) % 7, b = i % 6;
      palette[static_cast<std::size_t>(i)] = pack(r * 255 / 5, g * 255 / 6, b * 255 / 5);
    }
    const int greys[4] = {20, 32, 48, 64};
    for (int i = 0; i < 4; ++i) palette[static_cast<std::size_t>(252 + i)] = pack(greys[i], greys[i], greys[i]);
    lut.resize(1 << 15);
    for (int q = 0; q < (1 << 15); ++q) {
      const int r = ((q >> 10) & 31) * 8 + 4, g = ((q >> 5) & 31) * 8 + 4, b = (q & 31) * 8 + 4;
      int best = 0, best_d = 1 << 30;
      for (int i = 0; i < 256; ++i) {
        const std::uint32_t c = palette[static_cast<std::size_t>(i)];
        const int dr = r - static_cast<int>((c >> 16) & 255), dg = g - static_cast<int>((c >> 8) & 255),
                  db = b - static_cast<int>(c & 255);
        const int d = 2 * dr * dr + 4 * dg * dg + 3 * db * db;  // a rough perceptual weighting
        if (d < best_d) best_d = d, best = i;
      }
      lut[static_cast<std::size_t>(q)] = static_cast<std::uint8_t>(best);
    }
  }
  static std::uint32_t pack(int r, int g, int b) {
    return 0xFF000000u | static_cast<std::uint32_t>(r) << 16 | static_cast<std::uint32_t>(g) << 8 |
           static_cast<std::uint32_t>(b);
  }

  void palettize(const Image& image) {
    std::memcpy(frame->data[1], palette.data(), sizeof(std::uint32_t) * palette.size());
    for (int y = 0; y < height; ++y) {
      const std::uint8_t* src = image.rgb.data() + static_cast<std::size_t>(y) * width * 3;
      std::uint8_t* dst = frame->data[0] + static_cast<std::ptrdiff_t>(y) * frame->linesize[0];
      for (int x = 0; x < width; ++x, src += 3)
        dst[x] = lut[static_cast<std::size_t>((src[0] >> 3) << 10 | (src[1] >> 3) << 5 | (src[2] >> 3))];
    }
  }

  // Sends `f` (nullptr: flush) and writes every packet the encoder returns.
  void encode(AVFrame* f) {
    int rc = avcodec_send_frame(enc, f);
    if (rc < 0) fail(path, "the encoder refused a frame", rc);
    for (;;) {
      rc = avcodec_receive_packet(enc, packet);
      if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) return;
      if (rc < 0) fail(path, "encoding failed", rc);
      // Every frame lasts one frame period: MP4's edit list ends at the last
      // frame's end, so a duration of 0 would hide that frame from players.
      if (packet->duration <= 0) packet->duration = std::max<std::int64_t>(1, std::llround(ticks_per_frame));
      av_packet_rescale_ts(packet, enc->time_base, stream->time_base);
      packet->stream_index = stream->index;
      rc = av_interleaved_write_frame(fmt, packet);  // takes the packet's data
      if (rc < 0) fail(path, "writing failed", rc);
    }
  }
};

VideoWriter::VideoWriter(const fs::path& path, int width, int height, double fps) : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.path = path;
  m.format = video_format_of(path);
  av_log_set_level(AV_LOG_ERROR);  // no encoder chatter on stderr (errors still show)
  if (width < 2 || height < 2 || width > 8192 || height > 8192)
    throw std::invalid_argument("video size " + std::to_string(width) + "x" + std::to_string(height) +
                                " is out of range");
  if (m.format == VideoFormat::Mp4 && (width % 2 || height % 2))
    throw std::invalid_argument("an H.264 video needs an even width and height");
  if (!(fps > 0) || !std::isfinite(fps)) throw std::invalid_argument("video fps must be positive");
  m.width = width;
  m.height = height;

  // The temporary file in the target's directory (renamed over it by finish()).
  const TempFile tmp = create_temp_beside(path);
  ::close(tmp.fd);  // FFmpeg opens it by name
  m.tmp = tmp.name;

  const bool mp4 = m.format == VideoFormat::Mp4;
  int rc = avformat_alloc_output_context2(&m.fmt, nullptr, mp4 ? "mp4" : "gif", m.tmp.c_str());
  if (rc < 0 || !m.fmt) fail(path, "no muxer", rc);
  const AVCodec* codec = mp4 ? avcodec_find_encoder_by_name("libx264") : avcodec_find_encoder(AV_CODEC_ID_GIF);
  if (!codec) fail(path, mp4 ? "FFmpeg has no libx264 encoder" : "FFmpeg has no GIF encoder");
  m.stream = avformat_new_stream(m.fmt, nullptr);
  m.enc = avcodec_alloc_context3(codec);
  if (!m.stream || !m.enc) fail(path, "out of memory");
  // Time base: 1/fps for integral rates, else 1/1000 of a second per tick.
  const bool integral = std::fabs(fps - std::round(fps)) < 1e-9;
  m.enc->time_base = integral ? AVRational{1, static_cast<int>(std::lround(fps))} : AVRational{1, 1000};
  m.enc->framerate = integral ? AVRational{static_cast<int>(std::lround(fps)), 1}
                              : AVRational{static_cast<int>(std::lround(fps * 1000)), 1000};
  m.ticks_per_frame = integral ? 1.0 : 1000.0 / fps;
  m.enc->width = width;
  m.enc->height = height;
  m.enc->pix_fmt = mp4 ? AV_PIX_FMT_YUV420P : AV_PIX_FMT_PAL8;
  m.enc->gop_size = mp4 ? 250 : 0;
  if (m.fmt->oformat->flags & AVFMT_GLOBALHEADER) m.enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  AVDictionary* opts = nullptr;
  if (mp4) {
    av_dict_set(&opts, "preset", "veryfast", 0);
    av_dict_set(&opts, "crf", "20", 0);
    av_dict_set(&opts, "threads", "1", 0);  // deterministic and light next to training
  }
  rc = avcodec_open2(m.enc, codec, &opts);
  av_dict_free(&opts);
  if (rc < 0) fail(path, "cannot open the encoder", rc);
  rc = avcodec_parameters_from_context(m.stream->codecpar, m.enc);
  if (rc < 0) fail(path, "bad encoder parameters", rc);
  m.stream->time_base = m.enc->time_base;
  rc = avio_open(&m.fmt->pb, m.tmp.c_str(), AVIO_FLAG_WRITE);
  if (rc < 0) fail(path, "cannot open the temporary file " + m.tmp.string(), rc);
  rc = avformat_write_header(m.fmt, nullptr);
  if (rc < 0) fail(path, "cannot write the header", rc);

  m.frame = av_frame_alloc();
  m.packet = av_packet_alloc();
  if (!m.frame || !m.packet) fail(path, "out of memory");
  m.frame->format = m.enc->pix_fmt;
  m.frame->width = width;
  m.frame->height = height;
  rc = av_frame_get_buffer(m.frame, 0);
  if (rc < 0) fail(path, "cannot allocate a frame", rc);
  if (!mp4) m.build_palette();
  if (mp4) {
    m.sws = sws_getContext(width, height, AV_PIX_FMT_RGB24, width, height, AV_PIX_FMT_YUV420P, SWS_BILINEAR, nullptr,
                           nullptr, nullptr);
    if (!m.sws) fail(path, "no colour conversion to yuv420p");
  }
}

VideoWriter::~VideoWriter() = default;

std::int64_t VideoWriter::frames() const { return impl_->frames; }

void VideoWriter::add_frame(const Image& image) {
  Impl& m = *impl_;
  if (m.finished) throw std::logic_error("VideoWriter::add_frame after finish()");
  if (image.width != m.width || image.height != m.height)
    throw std::invalid_argument("video frame is " + std::to_string(image.width) + "x" + std::to_string(image.height) +
                                ", the video " + std::to_string(m.width) + "x" + std::to_string(m.height));
  int rc = av_frame_make_writable(m.frame);  // the encoder may still hold the previous buffer
  if (rc < 0) fail(m.path, "cannot reuse the frame", rc);
  if (m.format == VideoFormat::Mp4) {
    const std::uint8_t* src[1] = {image.rgb.data()};
    const int stride[1] = {3 * image.width};
    sws_scale(m.sws, src, stride, 0, m.height, m.frame->data, m.frame->linesize);
  } else {
    m.palettize(image);
  }
  m.frame->pts = std::llround(static_cast<double>(m.frames) * m.ticks_per_frame);
  m.encode(m.frame);
  ++m.frames;
}

void VideoWriter::finish() {
  Impl& m = *impl_;
  if (m.finished) return;
  m.encode(nullptr);
  int rc = av_write_trailer(m.fmt);
  if (rc < 0) fail(m.path, "cannot write the trailer", rc);
  rc = avio_closep(&m.fmt->pb);
  if (rc < 0) fail(m.path, "cannot close the file", rc);
  m.finished = true;  // commit_temp removes the temporary file itself if it fails
  commit_temp(m.tmp, m.path);
}

VideoInfo probe_video(const fs::path& path) {
  AVFormatContext* fmt = nullptr;
  auto bad = [&](const std::string& what, int code) {
    if (fmt) avformat_close_input(&fmt);
    throw VideoError("cannot read video " + path.string() + ": " + what + (code ? " (" + av_error(code) + ")" : ""));
  };
  int rc = avformat_open_input(&fmt, path.c_str(), nullptr, nullptr);
  if (rc < 0) bad("cannot open", rc);
  rc = avformat_find_stream_info(fmt, nullptr);
  if (rc < 0) bad("no stream info", rc);
  const AVCodec* codec = nullptr;
  const int index = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
  if (index < 0 || !codec) bad("no video stream", index);
  AVCodecContext* dec = avcodec_alloc_context3(codec);
  avcodec_parameters_to_context(dec, fmt->streams[index]->codecpar);
  rc = avcodec_open2(dec, codec, nullptr);
  if (rc < 0) {
    avcodec_free_context(&dec);
    bad("cannot open the decoder", rc);
  }
  VideoInfo info;
  info.codec = codec->name;
  AVPacket* pkt = av_packet_alloc();
  AVFrame* frame = av_frame_alloc();
  auto drain = [&] {
    while (avcodec_receive_frame(dec, frame) == 0) {
      info.width = frame->width;
      info.height = frame->height;
      ++info.frames;
    }
  };
  while (av_read_frame(fmt, pkt) >= 0) {
    if (pkt->stream_index == index) {
      // The decoder refuses input (EAGAIN) while its output is full: drain and resend.
      while (avcodec_send_packet(dec, pkt) == AVERROR(EAGAIN)) drain();
      drain();
    }
    av_packet_unref(pkt);
  }
  avcodec_send_packet(dec, nullptr);
  drain();
  av_frame_free(&frame);
  av_packet_free(&pkt);
  avcodec_free_context(&dec);
  avformat_close_input(&fmt);
  return info;
}

}  // namespace arena
