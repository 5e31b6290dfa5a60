// What hosts of one lattice say to each other over NATS (docs/CLUSTER.md, "Wire format").
// Every message is one frame: a version byte, a kind byte, then the kind's fields, each
// length-checked on decode. decode() is fed bytes from the network: anything that is not
// exactly one well-formed frame is refused with a reason, never trusted. @threadsafe
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wactor::cluster {

inline constexpr std::uint8_t kWireVersion = 1;
inline constexpr std::size_t kMaxIdBytes = 128;       // as valid_component_id
inline constexpr std::size_t kMaxTopicBytes = 1024;
inline constexpr std::size_t kMaxAnnouncedIds = 100'000;  // per heartbeat

enum class Kind : std::uint8_t {
  kSend = 1,       // fire-and-forget: sender -> target
  kRequest = 2,    // sender on host -> target; the reply goes back to host with request_id
  kReply = 3,      // status and payload for request_id (a callback status 0..4)
  kPublish = 4,    // sender publishes payload on topic (target holds the topic)
  kHeartbeat = 5,  // host is alive and runs `ids`
  kBye = 6,        // host leaves (a clean stop): its components are gone now
  // Placement and the control API across hosts (docs/CLUSTER.md, "Placement"): sent to
  // one host's subject, answered by a kControlReply to the asking host.
  kControl = 7,       // op on the receiving host, for request_id
  kControlReply = 8,  // status (an abi::GuestStatus, -7..0) and payload (JSON or error text)
  // 9 is a batch of frames (cluster/batch.h): never a Frame's kind.
};

// What a kControl frame asks of the receiving host.
enum class ControlOp : std::uint8_t {
  kList = 1,     // its components (JSON array); target and module empty
  kInspect = 2,  // component `target` (JSON object)
  kStop = 3,     // stop component `target`
  kSpawn = 4,    // make component `target` from its [[module]] `module` (config: payload)
};
inline constexpr std::uint8_t kControlOpLast = 4;
inline constexpr std::size_t kMaxControlReplyBytes = std::size_t{8} << 20;

struct Frame {
  Kind kind = Kind::kSend;
  std::string host;    // the host that sent the frame (its host_id)
  std::string sender;  // the sending component (send, request, publish)
  std::string target;  // the target component (send, request, reply) or the topic (publish)
  std::string payload;
  std::int64_t request_id = 0;  // request, reply: the id in the requesting host's table
  std::int32_t status = 0;      // reply: the callback status
  std::uint32_t timeout_ms = 0;  // request: time left when sent
  std::uint64_t sequence = 0;    // heartbeat: counts up per host run
  std::uint32_t interval_ms = 0;  // heartbeat: the sender's heartbeat interval
  std::vector<std::string> ids;   // heartbeat: the host's components
  ControlOp op = ControlOp::kList;  // control: what to do (sender: the spawning component, or empty)
  std::string module = {};         // control (spawn): the [[module]] name
  bool has_config = false;         // control (spawn): payload is the config (else the module's)
};

[[nodiscard]] std::string encode(const Frame& f);

struct Decoded {
  std::optional<Frame> frame;
  std::string error;  // why it was refused (frame empty)
};
[[nodiscard]] Decoded decode(std::string_view bytes);

}  // namespace wactor::cluster
