// Several frames of one host in one NATS message (docs/CLUSTER.md, "Batching"): the wire form
// of a batch, its decoder (fed by the network: all or nothing, every inner frame checked as
// a frame of its own), and the Batcher that collects a host's outgoing frames per subject.
//
// Batch: version byte 1, kind byte 7, the sending host id (u32-length-prefixed), a u32
// count (1..kMaxBatchFrames), then `count` u32-length-prefixed frames (wire.h), each a
// send, request or publish of that same host. Nothing may follow. @threadsafe
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "cluster/wire.h"

namespace wactor::cluster {

inline constexpr std::uint8_t kBatchKind = 9;  // after the frame kinds of wire.h (1..8)
inline constexpr std::size_t kMaxBatchFrames = 4096;      // frames in one batch, at most
inline constexpr std::size_t kMaxBatchBytes = 64 << 10;    // a batch is sent once it would grow past this

// What one NATS message carried: one frame, or a batch's frames in the order sent.
struct Message {
  std::vector<Frame> frames;  // empty: refused
  std::string error;          // why (frames empty)
  bool batch = false;
};
[[nodiscard]] Message decode_message(std::string_view bytes);

// The batch of `host` holding these encoded frames (as the Batcher sends it).
[[nodiscard]] std::string encode_batch(const std::string& host, const std::vector<std::string>& frames);

// Collects encoded frames per NATS subject and hands them to `publish` as one message per
// subject: when a batch would pass max_bytes or holds max_frames, when a frame must go at
// once (flush_now: it and everything batched before it for that subject), and otherwise
// within `window` of the first frame (a thread of its own). A batch of one frame goes as
// that frame. Messages of one subject are published in the order their frames were added.
class Batcher {
 public:
  struct Limits {
    std::size_t max_bytes = kMaxBatchBytes;
    std::size_t max_frames = kMaxBatchFrames;
    std::chrono::microseconds window{100};
  };
  // Publishes one message carrying `frames` frames; returns 0 or an abi status (-1, -3).
  using PublishFn = std::function<std::int32_t(const std::string& subject, std::string_view data, std::size_t frames)>;

  Batcher(std::string host, Limits limits, PublishFn publish);
  ~Batcher();
  Batcher(const Batcher&) = delete;
  Batcher& operator=(const Batcher&) = delete;

  // Adds a frame for `subject`. Returns the publish's status if it went now (flush_now, or
  // after stop()), else 0. max_frames (0: the limits'): a lower bound for this batch.
  std::int32_t add(const std::string& subject, std::string frame, bool flush_now, std::size_t max_frames = 0);
  // Sends everything batched now.
  void flush();
  // Sends everything batched and ends the thread; later frames go at once. Idempotent.
  void stop();

 private:
  struct Pending {
    std::string buf;  // a batch header, then u32-length-prefixed frames
    std::size_t frames = 0;
  };
  Pending fresh() const;
  // Takes the batch of `subject` out of the map (mu_ held) and publishes it with publish_mu_
  // taken before mu_ is released: batches go out in the order they were taken.
  std::int32_t send_locked(std::unique_lock<std::mutex>& lock, const std::string& subject);
  std::int32_t publish(const std::string& subject, Pending& p);
  void loop(std::stop_token stop);

  const std::string host_;
  const Limits limits_;
  const PublishFn publish_;
  std::mutex mu_;
  std::unordered_map<std::string, Pending> pending_;  // by subject
  bool stopped_ = false;
  std::condition_variable_any cv_;
  std::mutex publish_mu_;
  std::jthread thread_;
};

}  // namespace wactor::cluster
