#include "cluster/batch.h"

namespace wactor::cluster {
namespace {

void put_u32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void set_u32(std::string& out, std::size_t at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out[at + i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
bool get_u32(std::string_view b, std::size_t& pos, std::uint32_t& v) {
  if (b.size() - pos < 4) return false;
  v = 0;
  for (int i = 0; i < 4; ++i) v |= std::uint32_t{static_cast<std::uint8_t>(b[pos + i])} << (8 * i);
  pos += 4;
  return true;
}
std::string header(const std::string& host) {
  std::string out;
  out.push_back(static_cast<char>(kWireVersion));
  out.push_back(static_cast<char>(kBatchKind));
  put_u32(out, static_cast<std::uint32_t>(host.size()));
  out.append(host);
  put_u32(out, 0);  // the count, set when sent
  return out;
}

}  // namespace

Message decode_message(std::string_view bytes) {
  Message m;
  if (bytes.size() < 2 || static_cast<std::uint8_t>(bytes[0]) != kWireVersion ||
      static_cast<std::uint8_t>(bytes[1]) != kBatchKind) {
    auto d = decode(bytes);
    if (d.frame) m.frames.push_back(std::move(*d.frame));
    else m.error = std::move(d.error);
    return m;
  }
  m.batch = true;
  auto refused = [&](std::string why) {
    m.frames.clear();
    m.error = "batch: " + why;
    return std::move(m);
  };
  std::size_t pos = 2;
  std::uint32_t n = 0;
  if (!get_u32(bytes, pos, n)) return refused("truncated");
  if (n == 0 || n > kMaxIdBytes || bytes.size() - pos < n) return refused("bad host id");
  const std::string_view host = bytes.substr(pos, n);
  pos += n;
  std::uint32_t count = 0;
  if (!get_u32(bytes, pos, count)) return refused("truncated");
  if (count == 0 || count > kMaxBatchFrames) return refused("bad frame count " + std::to_string(count));
  m.frames.reserve(std::min<std::uint32_t>(count, 256));
  for (std::uint32_t i = 0; i < count; ++i) {
    std::uint32_t len = 0;
    if (!get_u32(bytes, pos, len) || bytes.size() - pos < len) return refused("truncated");
    auto d = decode(bytes.substr(pos, len));
    pos += len;
    if (!d.frame) return refused("frame " + std::to_string(i) + ": " + d.error);
    if (d.frame->kind != Kind::kSend && d.frame->kind != Kind::kRequest && d.frame->kind != Kind::kPublish) {
      return refused("frame " + std::to_string(i) + " of a kind a batch does not carry");
    }
    if (d.frame->host != host) return refused("frame " + std::to_string(i) + " of another host");
    m.frames.push_back(std::move(*d.frame));
  }
  if (pos != bytes.size()) return refused("trailing bytes");
  return m;
}

std::string encode_batch(const std::string& host, const std::vector<std::string>& frames) {
  std::string out = header(host);
  set_u32(out, out.size() - 4, static_cast<std::uint32_t>(frames.size()));
  for (const auto& f : frames) {
    put_u32(out, static_cast<std::uint32_t>(f.size()));
    out.append(f);
  }
  return out;
}

Batcher::Batcher(std::string host, Limits limits, PublishFn publish)
    : host_(std::move(host)), limits_(limits), publish_(std::move(publish)) {
  thread_ = std::jthread([this](std::stop_token st) { loop(st); });
}

Batcher::~Batcher() { stop(); }

Batcher::Pending Batcher::fresh() const {
  Pending p;
  p.buf = header(host_);
  p.buf.reserve(1024);
  return p;
}

std::int32_t Batcher::add(const std::string& subject, std::string frame, bool flush_now, std::size_t max_frames) {
  if (max_frames == 0 || max_frames > limits_.max_frames) max_frames = limits_.max_frames;
  std::unique_lock lock(mu_);
  if (stopped_) {
    lock.unlock();
    std::lock_guard order(publish_mu_);
    return publish_(subject, frame, 1);
  }
  auto it = pending_.find(subject);
  // A batch never grows past the bounds: what is there goes first.
  if (it != pending_.end() && it->second.frames > 0 && it->second.buf.size() + 4 + frame.size() > limits_.max_bytes) {
    (void)send_locked(lock, subject);
    lock.lock();
    it = pending_.find(subject);
  }
  const bool was_idle = pending_.empty();  // the thread waits for this to change
  if (it == pending_.end()) it = pending_.emplace(subject, fresh()).first;
  Pending& p = it->second;
  put_u32(p.buf, static_cast<std::uint32_t>(frame.size()));
  p.buf.append(frame);
  ++p.frames;
  if (flush_now || p.frames >= max_frames || p.buf.size() >= limits_.max_bytes) {
    const std::int32_t rc = send_locked(lock, subject);
    return flush_now ? rc : 0;
  }
  if (was_idle) {
    lock.unlock();
    cv_.notify_one();
  }
  return 0;
}

std::int32_t Batcher::send_locked(std::unique_lock<std::mutex>& lock, const std::string& subject) {
  auto node = pending_.extract(subject);
  std::unique_lock order(publish_mu_);
  lock.unlock();
  if (node.empty()) return 0;
  return publish(subject, node.mapped());
}

std::int32_t Batcher::publish(const std::string& subject, Pending& p) {
  if (p.frames == 0) return 0;
  const std::size_t head = 2 + 4 + host_.size() + 4;
  if (p.frames == 1) return publish_(subject, std::string_view(p.buf).substr(head + 4), 1);
  set_u32(p.buf, head - 4, static_cast<std::uint32_t>(p.frames));
  return publish_(subject, p.buf, p.frames);
}

void Batcher::flush() {
  std::unique_lock lock(mu_);
  auto all = std::move(pending_);
  pending_.clear();
  std::unique_lock order(publish_mu_);
  lock.unlock();
  for (auto& [subject, p] : all) (void)publish(subject, p);
}

void Batcher::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopped_) return;
    stopped_ = true;
  }
  thread_.request_stop();
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  flush();
}

void Batcher::loop(std::stop_token stop) {
  std::unique_lock lock(mu_);
  while (!stop.stop_requested()) {
    cv_.wait(lock, stop, [&] { return !pending_.empty(); });
    if (stop.stop_requested()) break;
    // Linger: the frames sent within the window join the batch.
    if (limits_.window.count() > 0) cv_.wait_for(lock, stop, limits_.window, [] { return false; });
    auto all = std::move(pending_);
    pending_.clear();
    {
      std::unique_lock order(publish_mu_);
      lock.unlock();
      for (auto& [subject, p] : all) (void)publish(subject, p);
    }
    lock.lock();
  }
}

}  // namespace wactor::cluster
