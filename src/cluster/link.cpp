#include "cluster/link.h"

#include <nats/nats.h>
#include <unistd.h>

#include <algorithm>

#include "messaging/topic.h"

namespace wactor::cluster {
namespace {

constexpr std::int32_t kOk = 0, kNotFound = -1, kQueueFull = -3;
// Frames the client may hold for one subscription before it drops (counted): bounded, since
// other hosts decide how much arrives.
constexpr int kPendingMessages = 1 << 20;
constexpr int kPendingBytes = 256 << 20;
// How long a fire-and-forget frame may wait for others to the same subject (batch.h).
constexpr std::chrono::microseconds kBatchWindow{100};
// Frames per batch to an id several hosts run: NATS picks a replica per message, so small
// batches keep a burst shared among them.
constexpr std::size_t kReplicaBatchFrames = 8;

bool valid_lattice(std::string_view l) {
  if (l.empty() || l.size() > 64) return false;
  return std::all_of(l.begin(), l.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

std::string nats_error(natsStatus s) {
  const char* last = nats_GetLastError(nullptr);
  std::string out = natsStatus_GetText(s);
  if (last && *last && out != last) out += std::string(" (") + last + ")";
  for (auto& c : out) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return out;
}

}  // namespace

std::string hex(std::string_view s) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(s.size() * 2);
  for (unsigned char c : s) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

Link::Link(ClusterOptions options, LinkHost& host, EventFn events)
    : options_(std::move(options)),
      host_(host),
      events_(std::move(events)),
      prefix_("wactor." + options_.lattice + "."),
      hb_subject_(prefix_ + "hb") {}

std::unique_ptr<Link> Link::connect(const ClusterOptions& options, LinkHost& host, EventFn events,
                                    std::string& error) {
  ClusterOptions o = options;
  if (!valid_lattice(o.lattice)) {
    error = "invalid lattice name '" + o.lattice + "': use 1-64 characters from A-Z a-z 0-9 _ -";
    return nullptr;
  }
  if (o.host_id.empty()) {
    char name[256] = {};
    if (gethostname(name, sizeof name - 1) != 0) std::snprintf(name, sizeof name, "host");
    std::string clean;
    for (char* p = name; *p; ++p) {
      const char c = *p;
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
      clean.push_back(ok ? c : '-');
    }
    o.host_id = clean.substr(0, 100) + "-" + std::to_string(getpid());
  }
  if (!valid_component_id(o.host_id)) {
    error = "invalid host_id '" + o.host_id + "': use 1-128 characters from A-Z a-z 0-9 _ - .";
    return nullptr;
  }
  if (o.heartbeat.count() <= 0 || o.dead_after <= o.heartbeat) {
    error = "cluster heartbeat must be > 0 ms and dead_after longer than the heartbeat";
    return nullptr;
  }
  for (const auto& p : o.accept_from) {
    if (!messaging::valid_pattern(p) && !valid_component_id(p)) {
      error = "invalid accept_from pattern '" + p + "'";
      return nullptr;
    }
  }
  std::unique_ptr<Link> link(new Link(std::move(o), host, std::move(events)));
  natsOptions* opts = nullptr;
  natsStatus s = natsOptions_Create(&opts);
  auto check = [&](natsStatus st, const char* what) {
    if (st == NATS_OK) return true;
    error = std::string(what) + ": " + nats_error(st);
    return false;
  };
  const ClusterOptions& lo = link->options_;
  bool ok = check(s, "NATS options");
  ok = ok && check(natsOptions_SetURL(opts, lo.url.c_str()), ("NATS url '" + lo.url + "'").c_str());
  ok = ok && check(natsOptions_SetName(opts, ("wactor " + lo.host_id).c_str()), "NATS name");
  ok = ok && check(natsOptions_SetTimeout(opts, 2000), "NATS timeout");
  ok = ok && check(natsOptions_SetNoEcho(opts, true), "NATS no-echo");
  // Every publish goes to the socket at once: the link batches fire-and-forget frames itself
  // (batch.h) and requests and replies must not wait for the client's ~1 ms flusher.
  ok = ok && check(natsOptions_SetSendAsap(opts, true), "NATS send-asap");
  ok = ok && check(natsOptions_SetMaxReconnect(opts, -1), "NATS reconnect");
  ok = ok && check(natsOptions_SetReconnectWait(opts, 100), "NATS reconnect wait");
  // A path that drops packets without closing (a partition) is noticed by unanswered pings:
  // three intervals, about dead_after (nats.c's default is every 2 minutes). The client then
  // holds what is sent for the reconnect instead of writing into the void.
  ok = ok && check(natsOptions_SetPingInterval(opts, std::max<std::int64_t>(50, lo.dead_after.count() / 3)),
                   "NATS ping interval");
  ok = ok && check(natsOptions_SetMaxPingsOut(opts, 2), "NATS max pings out");
  ok = ok && check(natsOptions_UseGlobalMessageDelivery(opts, true), "NATS delivery");
  ok = ok && check(natsOptions_SetDisconnectedCB(opts, &Link::on_disconnected, link.get()), "NATS callbacks");
  ok = ok && check(natsOptions_SetClosedCB(opts, &Link::on_closed, link.get()), "NATS callbacks");
  ok = ok && check(natsOptions_SetReconnectedCB(opts, &Link::on_reconnected, link.get()), "NATS callbacks");
  ok = ok && check(natsOptions_SetErrorHandler(opts, &Link::on_error, link.get()), "NATS callbacks");
  if (ok && !lo.creds_file.empty()) {
    ok = check(natsOptions_SetUserCredentialsFromFiles(opts, lo.creds_file.c_str(), nullptr),
               ("NATS credentials '" + lo.creds_file + "'").c_str());
  }
  if (ok && !lo.tls_ca_file.empty()) {
    ok = check(natsOptions_SetSecure(opts, true), "NATS TLS") &&
         check(natsOptions_LoadCATrustedCertificates(opts, lo.tls_ca_file.c_str()),
               ("NATS TLS CA '" + lo.tls_ca_file + "'").c_str());
  }
  if (ok && !lo.tls_cert_file.empty()) {
    ok = check(natsOptions_LoadCertificatesChain(opts, lo.tls_cert_file.c_str(), lo.tls_key_file.c_str()),
               ("NATS TLS certificate '" + lo.tls_cert_file + "'").c_str());
  }
  if (ok) {
    s = natsConnection_Connect(&link->nc_, opts);
    if (s != NATS_OK) {
      error = "cannot connect to NATS at " + lo.url + ": " + nats_error(s);
      ok = false;
    }
  }
  natsOptions_Destroy(opts);
  if (!ok) return nullptr;
  {
    Batcher::Limits limits;
    limits.window = kBatchWindow;
    Link* raw = link.get();
    link->batcher_ = std::make_unique<Batcher>(
        lo.host_id, limits,
        [raw](const std::string& subject, std::string_view data, std::size_t frames) {
          return raw->publish(subject, data, frames);
        });
  }
  auto sub = [&](const std::string& subject) {
    natsSubscription* sp = nullptr;
    if (!check(natsConnection_Subscribe(&sp, link->nc_, subject.c_str(), &Link::on_message, link.get()),
               ("NATS subscribe " + subject).c_str())) {
      return false;
    }
    (void)natsSubscription_SetPendingLimits(sp, kPendingMessages, kPendingBytes);
    link->fixed_subs_.push_back(sp);
    return true;
  };
  if (!sub(link->prefix_ + "h." + hex(lo.host_id)) || !sub(link->prefix_ + "hb") || !sub(link->prefix_ + "t.>")) {
    return nullptr;
  }
  link->sync_subscriptions();
  link->send_heartbeat();
  if (natsConnection_FlushTimeout(link->nc_, 2000) != NATS_OK) {
    error = "NATS at " + lo.url + " did not answer a flush";
    return nullptr;
  }
  // The members answer a newcomer's first heartbeat at once: give them one interval, so
  // that the components they run are known when this host's components start.
  {
    std::shared_lock lock(link->members_mu_);
    link->members_cv_.wait_for(lock, lo.heartbeat, [] { return false; });
  }
  // A live host with our id heard our heartbeat and answered with its own: two hosts with
  // one id would take each other's replies. The newcomer does not start.
  if (link->impostor_seen_.load(std::memory_order_relaxed)) {
    error = "host_id '" + lo.host_id + "' is already in use in lattice '" + lo.lattice + "'";
    return nullptr;
  }
  Link* raw = link.get();
  link->heartbeat_ = std::jthread([raw](std::stop_token st) { raw->heartbeat_loop(st); });
  return link;
}

Link::~Link() { close(); }

void Link::close() {
  {
    std::unique_lock lock(life_mu_);
    if (closed_) return;
    closed_ = true;  // from now on no frame reaches host_
  }
  if (heartbeat_.joinable()) {
    heartbeat_.request_stop();
    wake_cv_.notify_all();
    heartbeat_.join();
  }
  if (nc_ == nullptr) return;
  if (batcher_) batcher_->stop();  // what is batched goes before the bye
  Frame bye;
  bye.kind = Kind::kBye;
  bye.host = options_.host_id;
  (void)publish(prefix_ + "hb", encode(bye));
  (void)natsConnection_FlushTimeout(nc_, 500);
  {
    std::lock_guard lock(subs_mu_);
    for (auto& [id, s] : component_subs_) natsSubscription_Destroy(s);
    component_subs_.clear();
  }
  for (auto* s : fixed_subs_) natsSubscription_Destroy(s);
  fixed_subs_.clear();
  std::unique_lock lock(nc_mu_);  // a reply still being sent finishes first; later ones find no connection
  natsConnection_Close(nc_);
  {
    // The callbacks queued by the close (disconnected, then closed) still point at this
    // object: wait for the last one, bounded so that a stuck client cannot hang a stop.
    std::unique_lock cb(closed_cb_mu_);
    closed_cb_cv_.wait_for(cb, std::chrono::seconds(5), [&] { return closed_cb_done_; });
  }
  natsConnection_Destroy(nc_);
  nc_ = nullptr;
}

void Link::on_closed(natsConnection*, void* closure) {
  auto* self = static_cast<Link*>(closure);
  std::lock_guard lock(self->closed_cb_mu_);
  self->closed_cb_done_ = true;
  self->closed_cb_cv_.notify_all();
}

std::int32_t Link::publish(const std::string& subject, std::string_view data, std::size_t frames) {
  std::shared_lock lock(nc_mu_);
  if (nc_ == nullptr) {
    counters_.send_failed.fetch_add(frames, std::memory_order_relaxed);
    return kNotFound;
  }
  const natsStatus s = natsConnection_Publish(nc_, subject.c_str(), data.data(), static_cast<int>(data.size()));
  if (s == NATS_OK) {
    counters_.frames_sent.fetch_add(frames, std::memory_order_relaxed);
    if (frames > 1) count(&ClusterCounters::batches_sent);
    return kOk;
  }
  counters_.send_failed.fetch_add(frames, std::memory_order_relaxed);
  return s == NATS_CONNECTION_CLOSED ? kNotFound : kQueueFull;
}

bool Link::runs(std::string_view id) const {
  std::shared_lock lock(members_mu_);
  auto it = runners_.find(std::string(id));
  return it != runners_.end() && it->second > 0;
}

bool Link::wait_runs(std::string_view id, bool present, std::chrono::milliseconds timeout) {
  std::unique_lock lock(members_mu_);
  const std::string key(id);
  return members_cv_.wait_for(lock, timeout, [&] {
    auto it = runners_.find(key);
    return (it != runners_.end() && it->second > 0) == present;
  });
}

void Link::event(std::string_view kind, std::string detail) noexcept {
  std::uint32_t left = events_left_.load(std::memory_order_relaxed);
  while (left > 0 && !events_left_.compare_exchange_weak(left, left - 1, std::memory_order_relaxed)) {
  }
  if (left == 0 || !events_) return;
  try {
    events_(kind, detail);
  } catch (...) {  // the operator's sink failed (out of memory): the counters still count
  }
}

// Requests and replies go at once (with what was batched before them for the same
// subject: order per sender and target holds); sends and publishes are batched unless
// send_asap is set.
std::int32_t Link::to_component(Frame& f) {
  f.host = options_.host_id;
  std::uint32_t runners = 0;
  {
    std::shared_lock lock(members_mu_);
    auto it = runners_.find(f.target);
    if (it != runners_.end()) runners = it->second;
  }
  if (runners == 0) return kNotFound;
  const bool now = options_.send_asap || f.kind != Kind::kSend;
  return batcher_->add(prefix_ + "c." + hex(f.target), encode(f), now, runners > 1 ? kReplicaBatchFrames : 0);
}

std::int32_t Link::to_host(const std::string& host, Frame& f) {
  f.host = options_.host_id;
  return batcher_->add(prefix_ + "h." + hex(host), encode(f), true);
}

std::int32_t Link::to_topic(Frame& f) {
  f.host = options_.host_id;
  return batcher_->add(prefix_ + "t." + f.target, encode(f), options_.send_asap);
}

bool Link::live(std::string_view host) const {
  std::shared_lock lock(members_mu_);
  return members_.contains(std::string(host));
}

std::vector<std::pair<std::string, std::size_t>> Link::loads() const {
  std::shared_lock lock(members_mu_);
  std::vector<std::pair<std::string, std::size_t>> out;
  for (const auto& [h, m] : members_) out.emplace_back(h, m.ids.size());
  return out;
}

std::vector<std::string> Link::hosts_running(std::string_view id) const {
  std::shared_lock lock(members_mu_);
  std::vector<std::string> out;
  const std::string key(id);
  for (const auto& [h, m] : members_) {
    if (m.ids.contains(key)) out.push_back(h);
  }
  std::sort(out.begin(), out.end());
  return out;
}

void Link::announce_now() {
  sync_subscriptions();
  send_heartbeat();
}

std::vector<std::string> Link::hosts() const {
  std::shared_lock lock(members_mu_);
  std::vector<std::string> out;
  for (const auto& [h, m] : members_) out.push_back(h);
  std::sort(out.begin(), out.end());
  return out;
}

ClusterStats Link::stats() const {
  ClusterStats s;
#define WACTOR_READ(name, doc) s.name = counters_.name.load(std::memory_order_relaxed);
  WACTOR_CLUSTER_COUNTERS(WACTOR_READ)
#undef WACTOR_READ
  std::shared_lock lock(members_mu_);
  s.live_hosts = members_.size();
  s.enabled = true;
  return s;
}

void Link::announce_soon() {
  {
    std::lock_guard lock(wake_mu_);
    wake_ = true;
  }
  wake_cv_.notify_all();
}

void Link::on_message(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
  auto* self = static_cast<Link*>(closure);
  const char* data = natsMsg_GetData(msg);
  const int len = natsMsg_GetDataLength(msg);
  const std::string_view subject = natsMsg_GetSubject(msg);
  // The NATS client's thread: what escapes from handling one message (bad_alloc decoding it
  // or while a remote payload is copied for many local subscribers; each frame of a batch is
  // caught apart in handle()) drops it, never the process; the next is handled as usual.
  // Under the life lock, so that nothing (not even a dropped frame's event) reaches host_
  // once close() has begun.
  const std::unique_ptr<natsMsg, decltype(&natsMsg_Destroy)> owned(msg, &natsMsg_Destroy);
  std::shared_lock life(self->life_mu_);
  if (self->closed_) return;
  self->guarded(subject, [&] {
    self->handle(subject, std::string_view(data ? data : "", len > 0 ? static_cast<std::size_t>(len) : 0));
  });
}

void Link::dropped(std::string_view subject, std::string_view why) noexcept {
  count(&ClusterCounters::dropped_host_error);
  try {
    event("refused", "frame on " + std::string(subject.substr(0, 200)) + " dropped: host error: " + std::string(why));
  } catch (...) {  // out of memory still (building the text): counted
  }
}

void Link::on_error(natsConnection*, natsSubscription*, natsStatus err, void* closure) {
  auto* self = static_cast<Link*>(closure);
  if (err == NATS_SLOW_CONSUMER) {
    self->count(&ClusterCounters::dropped_slow_consumer);
    self->event("refused", "NATS dropped frames: this host is a slow consumer");
  }
}

void Link::on_disconnected(natsConnection*, void* closure) {
  auto* self = static_cast<Link*>(closure);
  self->count(&ClusterCounters::disconnects);
  std::shared_lock life(self->life_mu_);
  if (!self->closed_) self->event("disconnected", self->options_.url);
}

void Link::on_reconnected(natsConnection*, void* closure) {
  auto* self = static_cast<Link*>(closure);
  self->count(&ClusterCounters::reconnects);
  self->announce_soon();
  std::shared_lock life(self->life_mu_);
  if (!self->closed_) self->event("reconnected", self->options_.url);
}

bool Link::announced_by(const std::string& host, const std::string& id) const {
  std::shared_lock lock(members_mu_);
  auto it = members_.find(host);
  return it != members_.end() && (it->second.ids.contains(id) || it->second.dropped.contains(id));
}

bool Link::is_subject(std::string_view subject, std::string_view kind, std::string_view id) const {
  static constexpr char kDigits[] = "0123456789abcdef";
  if (subject.size() != prefix_.size() + kind.size() + 2 * id.size()) return false;
  if (subject.substr(0, prefix_.size()) != prefix_ || subject.substr(prefix_.size(), kind.size()) != kind) return false;
  const char* p = subject.data() + prefix_.size() + kind.size();
  for (unsigned char c : id) {
    if (*p++ != kDigits[c >> 4] || *p++ != kDigits[c & 15]) return false;
  }
  return true;
}

void Link::handle(std::string_view subject, std::string_view data) {
  auto message = decode_message(data);
  if (message.frames.empty()) {
    count(&ClusterCounters::frames_received);
    count(&ClusterCounters::refused_malformed);
    event("refused", "malformed frame on " + std::string(subject.substr(0, 200)) + ": " + message.error);
    return;
  }
  counters_.frames_received.fetch_add(message.frames.size(), std::memory_order_relaxed);
  const std::string& from = message.frames.front().host;  // a batch's frames share it
  if (from == options_.host_id) {
    // No-echo keeps our own frames away: this is another connection using our id (a second
    // host started with the same host_id, or a forger). Its replies would cross with ours.
    counters_.refused_unknown_host.fetch_add(message.frames.size(), std::memory_order_relaxed);
    const Frame& f = message.frames.front();
    if (!message.batch && f.kind == Kind::kHeartbeat) {
      impostor_seen_.store(true, std::memory_order_relaxed);
      // A newcomer with our id (its first heartbeat) hears at once that the id is taken;
      // only then, so that two hosts with one id do not answer each other forever.
      if (f.sequence == 1) announce_soon();
    }
    event("refused", "frame from another connection claiming this host's id '" + from + "'");
    return;
  }
  const bool on_hb = subject == hb_subject_;
  if (!message.batch) {
    Frame& f = message.frames.front();
    if (f.kind == Kind::kHeartbeat || f.kind == Kind::kBye) {
      if (!on_hb) {
        count(&ClusterCounters::refused_malformed);
        event("refused", "membership frame from '" + f.host + "' off the heartbeat subject");
        return;
      }
      bool is_new = false;
      {
        std::shared_lock lock(members_mu_);
        is_new = f.kind == Kind::kHeartbeat && !members_.contains(f.host);
      }
      // A newcomer hears from us before it can receive anything from us: it learns our ids
      // (and that we are a member) first.
      if (is_new) send_heartbeat();
      auto lost = set_host_ids(f.host, std::move(f.ids), f.kind == Kind::kHeartbeat);
      if (!lost.empty()) host_.on_ids_lost(lost);
      return;
    }
  }
  if (on_hb) {
    count(&ClusterCounters::refused_malformed);
    event("refused", "data frame from '" + from + "' on the heartbeat subject");
    return;
  }
  {
    std::shared_lock lock(members_mu_);
    if (!members_.contains(from)) {
      counters_.refused_unknown_host.fetch_add(message.frames.size(), std::memory_order_relaxed);
      event("refused", "frame from '" + from + "', not a live member");
      return;
    }
  }
  // One frame whose handling fails (out of memory, say) is dropped; the batch's others are not.
  for (auto& f : message.frames) guarded(subject, [&] { dispatch(subject, std::move(f)); });
}

void Link::dispatch(std::string_view subject, Frame&& f) {
  // Control frames of the operator's API (no sender) are not a component's: accept_from
  // does not apply to them (docs/CLUSTER.md, "Control API across hosts").
  const bool answer = f.kind == Kind::kReply || f.kind == Kind::kControlReply;
  const bool operator_control = f.kind == Kind::kControl && f.sender.empty();
  if (!answer && !operator_control && !options_.accept_from.empty()) {
    bool accepted = false;
    for (const auto& p : options_.accept_from) accepted = accepted || messaging::topic_matches(p, f.sender);
    if (!accepted) {
      count(&ClusterCounters::refused_sender);
      event("refused", "sender '" + f.sender + "' (host '" + f.host + "') not accepted (accept_from)");
      if (f.kind == Kind::kControl) {
        Frame r;
        r.kind = Kind::kControlReply;
        r.request_id = f.request_id;
        r.status = -2;
        r.payload = "denied: sender '" + f.sender + "' not accepted by host '" + options_.host_id + "'";
        (void)to_host(f.host, r);
      }
      if (f.kind == Kind::kRequest) {
        Frame r;
        r.kind = Kind::kReply;
        r.target = f.target;
        r.request_id = f.request_id;
        r.status = 1;
        r.payload = "denied: sender '" + f.sender + "' not accepted by host '" + options_.host_id + "'";
        (void)to_host(f.host, r);
      }
      return;
    }
  }
  // A message or request names its target twice (subject and frame): they must agree, or
  // a frame on one component's subject could reach another.
  if ((f.kind == Kind::kSend || f.kind == Kind::kRequest) && !is_subject(subject, "c.", f.target)) {
    count(&ClusterCounters::refused_malformed);
    event("refused", "frame from '" + f.host + "' for '" + f.target + "' on another component's subject");
    return;
  }
  if ((f.kind == Kind::kReply || f.kind == Kind::kControl || f.kind == Kind::kControlReply) &&
      !is_subject(subject, "h.", options_.host_id)) {
    count(&ClusterCounters::refused_malformed);
    event("refused", "reply from '" + f.host + "' off this host's reply subject");
    return;
  }
  switch (f.kind) {
    case Kind::kSend: host_.on_send(std::move(f)); break;
    case Kind::kRequest: host_.on_request(std::move(f)); break;
    case Kind::kReply: host_.on_reply(std::move(f)); break;
    case Kind::kControl: host_.on_control(std::move(f)); break;
    case Kind::kControlReply: host_.on_control_reply(std::move(f)); break;
    case Kind::kPublish:
      if (!messaging::valid_topic(f.target) || subject != prefix_ + "t." + f.target) {
        count(&ClusterCounters::refused_malformed);
        event("refused", "publish from '" + f.host + "' with a topic not its subject's");
        return;
      }
      host_.on_publish(std::move(f));
      break;
    default: break;
  }
}

std::vector<std::string> Link::set_host_ids(const std::string& host, std::vector<std::string> ids, bool alive) {
  std::vector<std::string> lost;
  std::unique_lock lock(members_mu_);
  auto it = members_.find(host);
  if (it == members_.end() && !alive) return lost;
  if (it == members_.end()) {
    it = members_.emplace(host, Member{}).first;
    count(&ClusterCounters::hosts_joined);
    event("host-joined", host);
  }
  Member& m = it->second;
  m.last_seen = std::chrono::steady_clock::now();
  // Everything that allocates first: an exception (out of memory) leaves the counts as they
  // were (a runners_ entry at 0 announces nothing); what follows it does not throw.
  std::unordered_set<std::string> next(std::make_move_iterator(ids.begin()), std::make_move_iterator(ids.end()));
  std::unordered_set<std::string> gone_ids;
  for (const auto& id : m.ids) {
    if (alive && !next.contains(id)) gone_ids.insert(id);
  }
  lost.reserve(m.ids.size());
  if (alive) {
    for (const auto& id : next) {
      if (!m.ids.contains(id)) runners_.try_emplace(id, 0);
    }
  }
  m.dropped.swap(gone_ids);
  for (const auto& id : m.ids) {
    if (alive && next.contains(id)) continue;
    auto r = runners_.find(id);
    if (r != runners_.end() && --r->second == 0) {
      runners_.erase(r);
      lost.push_back(id);
    }
  }
  if (alive) {
    for (const auto& id : next) {
      if (!m.ids.contains(id)) ++runners_.find(id)->second;
    }
    m.ids = std::move(next);
  } else {
    members_.erase(it);
    count(&ClusterCounters::hosts_lost);
    event("host-lost", host);
  }
  lock.unlock();
  members_cv_.notify_all();
  return lost;
}

void Link::expire_hosts() {
  std::vector<std::string> dead;
  {
    std::shared_lock lock(members_mu_);
    const auto now = std::chrono::steady_clock::now();
    for (const auto& [h, m] : members_) {
      if (now - m.last_seen > options_.dead_after) dead.push_back(h);
    }
  }
  for (const auto& h : dead) {
    auto lost = set_host_ids(h, {}, false);
    std::shared_lock life(life_mu_);
    if (!closed_ && !lost.empty()) host_.on_ids_lost(lost);
  }
}

void Link::sync_subscriptions() {
  auto ids = host_.local_ids();
  std::unordered_set<std::string> now(ids.begin(), ids.end());
  std::lock_guard lock(subs_mu_);
  for (auto it = component_subs_.begin(); it != component_subs_.end();) {
    if (now.contains(it->first)) {
      ++it;
      continue;
    }
    natsSubscription_Unsubscribe(it->second);
    natsSubscription_Destroy(it->second);
    it = component_subs_.erase(it);
  }
  for (const auto& id : now) {
    if (component_subs_.contains(id)) continue;
    natsSubscription* s = nullptr;
    const std::string h = hex(id);
    if (natsConnection_QueueSubscribe(&s, nc_, (prefix_ + "c." + h).c_str(), (prefix_ + "q." + h).c_str(),
                                      &Link::on_message, this) == NATS_OK) {
      (void)natsSubscription_SetPendingLimits(s, kPendingMessages, kPendingBytes);
      component_subs_.emplace(id, s);
    }
  }
}

void Link::send_heartbeat() {
  Frame hb;
  hb.kind = Kind::kHeartbeat;
  hb.host = options_.host_id;
  hb.sequence = sequence_.fetch_add(1, std::memory_order_relaxed) + 1;
  hb.interval_ms = static_cast<std::uint32_t>(options_.heartbeat.count());
  {
    std::lock_guard lock(subs_mu_);  // what we announce is what we are subscribed to
    hb.ids.reserve(component_subs_.size());
    for (const auto& [id, s] : component_subs_) {
      if (hb.ids.size() >= kMaxAnnouncedIds) break;
      hb.ids.push_back(id);
    }
  }
  (void)publish(hb_subject_, encode(hb));
}

void Link::heartbeat_loop(std::stop_token stop) {
  while (!stop.stop_requested()) {
    {
      std::unique_lock lock(wake_mu_);
      wake_cv_.wait_for(lock, stop, options_.heartbeat, [&] { return wake_; });
      wake_ = false;
    }
    if (stop.stop_requested()) break;
    sync_subscriptions();
    send_heartbeat();
    expire_hosts();
  }
}

}  // namespace wactor::cluster
