// The JetStream key-value backend. Layout of the lattice's bucket "wactor-kv-<lattice>":
//   c.<hex(space)>.k.<hex(key)>  a key's value (hex keeps the bytewise order and the key alphabet)
//   c.<hex(space)>.t             the space's transaction record: the last committed write set
// A commit writes the record first, with kvStore_Update against the revision this host last
// saw (kvStore_Create for the first one): once JetStream acknowledges it, the write set is
// durable; then the keys are written. A crash between the two is repaired by the next host
// (or this one) that touches the space: it re-applies the record unless its last key is
// newer than it (roll forward; re-applying is idempotent since a later commit would have
// replaced the record). The revision check fences a component running on two hosts at once:
// the second writer's commit fails instead of interleaving. @threadsafe
#include "storage/jetstream_store.h"

#include <nats/nats.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <mutex>

namespace wactor::storage {
namespace {

std::string nats_text(natsStatus s) {
  std::string t = natsStatus_GetText(s);
  natsStatus last = NATS_OK;
  const char* detail = nats_GetLastError(&last);
  if (detail && *detail && last == s && t != detail) t += ": " + std::string(detail);
  return t;
}

std::string hex(std::string_view s) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(s.size() * 2);
  for (unsigned char c : s) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

std::optional<std::string> unhex(std::string_view s) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  if (s.size() % 2) return std::nullopt;
  std::string out;
  out.reserve(s.size() / 2);
  for (std::size_t i = 0; i < s.size(); i += 2) {
    const int hi = nibble(s[i]), lo = nibble(s[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

void put_u32(std::string& out, std::size_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

// "WKV1" u32 count, then per write: u8 op (1 set, 0 delete), u32 key length, key, u32 value
// length, value.
std::string encode(const std::vector<Write>& writes) {
  std::string out = "WKV1";
  put_u32(out, writes.size());
  for (const auto& w : writes) {
    out.push_back(w.value ? 1 : 0);
    put_u32(out, w.key.size());
    out += w.key;
    put_u32(out, w.value ? w.value->size() : 0);
    if (w.value) out += *w.value;
  }
  return out;
}

std::optional<std::vector<Write>> decode(std::string_view in) {
  std::size_t at = 4;
  auto u32 = [&](std::uint32_t& v) {
    if (in.size() - at < 4) return false;
    v = 0;
    for (int i = 0; i < 4; ++i) v |= static_cast<std::uint32_t>(static_cast<unsigned char>(in[at + i])) << (8 * i);
    at += 4;
    return true;
  };
  auto bytes = [&](std::uint32_t n, std::string& v) {
    if (in.size() - at < n) return false;
    v.assign(in.substr(at, n));
    at += n;
    return true;
  };
  std::uint32_t count = 0;
  if (in.size() < 4 || in.substr(0, 4) != "WKV1" || !u32(count)) return std::nullopt;
  std::vector<Write> out;
  for (std::uint32_t i = 0; i < count; ++i) {
    if (at >= in.size()) return std::nullopt;
    const bool set = in[at++] == 1;
    Write w;
    std::uint32_t kn = 0, vn = 0;
    std::string v;
    if (!u32(kn) || !bytes(kn, w.key) || !u32(vn) || !bytes(vn, v)) return std::nullopt;
    if (set) w.value = std::move(v);
    out.push_back(std::move(w));
  }
  return out;
}

struct Entry {
  kvEntry* e = nullptr;
  Entry() = default;
  Entry(const Entry&) = delete;
  Entry& operator=(const Entry&) = delete;
  ~Entry() {
    if (e) kvEntry_Destroy(e);
  }
  std::string value() const {
    const int n = kvEntry_ValueLen(e);
    const void* p = kvEntry_Value(e);
    return n > 0 && p ? std::string(static_cast<const char*>(p), static_cast<std::size_t>(n)) : std::string();
  }
};

class JetStreamStore final : public Store {
 public:
  explicit JetStreamStore(JetStreamOptions o) : o_(std::move(o)), bucket_(jetstream_bucket(o_.lattice)) {}
  ~JetStreamStore() override {
    if (kv_) kvStore_Destroy(kv_);
    if (pub_js_) jsCtx_Destroy(pub_js_);
    if (js_) jsCtx_Destroy(js_);
    if (nc_) {
      natsConnection_Close(nc_);
      natsConnection_Destroy(nc_);
    }
  }

  Status open() {
    natsOptions* opts = nullptr;
    natsStatus s = natsOptions_Create(&opts);
    auto step = [&](natsStatus st) {
      if (s == NATS_OK) s = st;
    };
    step(natsOptions_SetURL(opts, o_.url.c_str()));
    step(natsOptions_SetName(opts, ("wactor-kv " + o_.lattice).c_str()));
    step(natsOptions_SetTimeout(opts, 2000));
    step(natsOptions_SetMaxReconnect(opts, -1));
    step(natsOptions_SetReconnectWait(opts, 100));
    if (!o_.creds_file.empty()) step(natsOptions_SetUserCredentialsFromFiles(opts, o_.creds_file.c_str(), nullptr));
    if (!o_.tls_ca_file.empty()) {
      step(natsOptions_SetSecure(opts, true));
      step(natsOptions_LoadCATrustedCertificates(opts, o_.tls_ca_file.c_str()));
    }
    if (!o_.tls_cert_file.empty()) {
      step(natsOptions_LoadCertificatesChain(opts, o_.tls_cert_file.c_str(), o_.tls_key_file.c_str()));
    }
    if (s == NATS_OK) s = natsConnection_Connect(&nc_, opts);
    natsOptions_Destroy(opts);
    if (s != NATS_OK) return fail("cannot connect", s);
    jsOptions jo;
    jsOptions_Init(&jo);
    jo.Wait = static_cast<int64_t>(o_.timeout.count());
    if ((s = natsConnection_JetStream(&js_, nc_, &jo)) != NATS_OK) return fail("JetStream context", s);
    jo.PublishAsync.AckHandler = &JetStreamStore::on_ack;
    jo.PublishAsync.AckHandlerClosure = this;
    if ((s = natsConnection_JetStream(&pub_js_, nc_, &jo)) != NATS_OK) return fail("JetStream context", s);
    s = js_KeyValue(&kv_, js_, bucket_.c_str());
    if (s == NATS_NOT_FOUND) {
      kvConfig c;
      kvConfig_Init(&c);
      c.Bucket = bucket_.c_str();
      c.Description = "wactor component storage (docs/STORAGE.md)";
      c.History = 1;
      c.StorageType = js_FileStorage;
      c.Replicas = o_.replicas;
      s = js_CreateKeyValue(&kv_, js_, &c);
    }
    if (s != NATS_OK) return fail("cannot bind or create the bucket (is JetStream enabled there? nats-server -js)", s);
    return {};
  }

  Result<std::optional<std::string>> get(std::string_view space, std::string_view key) override {
    WACTOR_TRY(ensure(space));
    {
      std::lock_guard lock(mu_);
      auto sp = spaces_.find(space);
      if (sp != spaces_.end()) {
        if (auto it = sp->second.cache.find(key); it != sp->second.cache.end()) return it->second;
      }
    }
    Entry e;
    const natsStatus s = kvStore_Get(&e.e, kv_, key_name(space, key).c_str());
    if (s != NATS_OK && s != NATS_NOT_FOUND) return fail("read", s);
    std::optional<std::string> value;
    if (s == NATS_OK) value = e.value();
    std::lock_guard lock(mu_);
    if (auto sp = spaces_.find(space); sp != spaces_.end()) remember(sp->second, key, value);
    return value;
  }


  Result<std::vector<std::string>> keys(std::string_view space, std::string_view prefix, std::string_view after,
                                        std::size_t limit) override {
    std::vector<std::string> all;
    WACTOR_TRY(scan(space, true, [&](std::string key, const Entry&) {
      if (key.starts_with(prefix) && key > after) all.push_back(std::move(key));
    }));
    std::sort(all.begin(), all.end());
    if (all.size() > limit) all.resize(limit);
    return all;
  }

  Result<std::uint64_t> usage(std::string_view space) override {
    std::uint64_t total = 0;
    WACTOR_TRY(scan(space, false, [&](std::string key, const Entry& e) {
      total += key.size() + static_cast<std::uint64_t>(std::max(0, kvEntry_ValueLen(e.e)));
    }));
    return total;
  }

  // Each set atomically (its record); not the sets together: the group committer retries a
  // failed group set by set, and committing a set twice writes the same values again.
  // Pipelined: every set's record is published at once and their acknowledgements awaited
  // together, then every committed set's keys likewise (two round trips per group).
  Status commit(std::span<const WriteSet> sets) override {
    struct Pending {
      const WriteSet* set;
      std::string record, subject;
      std::uint64_t last = 0, revision = 0;
      std::optional<Error> error;
    };
    std::lock_guard one_at_a_time(commit_mu_);
    std::vector<Pending> pending;
    for (const auto& set : sets) {
      if (set.writes.empty()) continue;
      WACTOR_TRY(ensure(set.space));
      Pending p{&set, encode(set.writes), subject(record_name(set.space)), 0, 0, std::nullopt};
      {
        std::lock_guard lock(mu_);
        p.last = spaces_[set.space].revision;
      }
      pending.push_back(std::move(p));
    }
    if (pending.empty()) return {};
    {
      std::lock_guard lock(ack_mu_);
      acks_.clear();
    }
    // The records: the commit point of each set.
    for (auto& p : pending) {
      jsPubOptions po;
      jsPubOptions_Init(&po);
      po.MaxWait = static_cast<int64_t>(o_.timeout.count());
      if (p.last) po.ExpectLastSubjectSeq = p.last;
      else po.ExpectNoMessage = true;
      const natsStatus s = js_PublishAsync(pub_js_, p.subject.c_str(), p.record.data(), static_cast<int>(p.record.size()), &po);
      if (s != NATS_OK) p.error = fail("commit of '" + p.set->space + "'", s);
    }
    js_PublishAsyncComplete(pub_js_, nullptr);  // every publish has a MaxWait: each ends in an ack or an error
    for (auto& p : pending) {
      if (p.error) continue;
      auto ack = take_ack(p.subject);
      if (ack.ok) {
        p.revision = ack.sequence;
        continue;
      }
      // The acknowledgement may be what was lost: read the record back.
      const std::string name = record_name(p.set->space);
      Entry now;
      const bool read = kvStore_Get(&now.e, kv_, name.c_str()) == NATS_OK;
      if (read && kvEntry_Revision(now.e) > p.last && now.value() == p.record) {
        p.revision = kvEntry_Revision(now.e);
        continue;
      }
      const bool other = read && kvEntry_Revision(now.e) != p.last;
      p.error = make_error(ErrorCode::kIo, "storage: JetStream bucket '" + bucket_ + "' at " + o_.url + ": commit of '" +
                                               p.set->space + "'" +
                                               (other ? " (written by another host meanwhile)" : "") + ": " + ack.text);
    }
    // The keys of the committed sets. A key not written now is written by the roll forward
    // before the space's next read here (its record is durable).
    std::map<std::string, std::string> key_space;  // subject -> space
    for (auto& p : pending) {
      std::lock_guard lock(mu_);
      if (p.error) {
        if (auto it = spaces_.find(p.set->space); it != spaces_.end()) {  // read again (and rolled forward) at the next access
          drop_cache(it->second);
          spaces_.erase(it);
        }
      } else {
        SpaceState& st = spaces_[p.set->space];
        st.revision = p.revision;
        st.dirty = false;
        for (const auto& w : p.set->writes) remember(st, w.key, w.value);
      }
    }
    for (auto& p : pending) {
      if (p.error) continue;
      for (const auto& w : p.set->writes) {
        const std::string subj = subject(key_name(p.set->space, w.key));
        key_space[subj] = p.set->space;
        natsMsg* m = nullptr;
        natsStatus s = natsMsg_Create(&m, subj.c_str(), nullptr, w.value ? w.value->data() : nullptr,
                                      w.value ? static_cast<int>(w.value->size()) : 0);
        if (s == NATS_OK && !w.value) s = natsMsgHeader_Set(m, "KV-Operation", "DEL");
        jsPubOptions po;
        jsPubOptions_Init(&po);
        po.MaxWait = static_cast<int64_t>(o_.timeout.count());
        if (s == NATS_OK) s = js_PublishMsgAsync(pub_js_, &m, &po);
        natsMsg_Destroy(m);
        if (s != NATS_OK) mark_dirty(p.set->space);
      }
    }
    js_PublishAsyncComplete(pub_js_, nullptr);
    {
      std::lock_guard lock(ack_mu_);
      for (const auto& [subj, ack] : acks_) {
        if (!ack.ok) {
          if (auto it = key_space.find(subj); it != key_space.end()) mark_dirty(it->second);
        }
      }
      acks_.clear();
    }
    for (const auto& p : pending) {
      if (p.error) return *p.error;
    }
    return {};
  }

  void open_space(std::string_view space) override {
    std::lock_guard lock(mu_);
    if (auto it = spaces_.find(space); it != spaces_.end()) {
      drop_cache(it->second);
      spaces_.erase(it);
    }
  }

 private:
  struct SpaceState {
    std::uint64_t revision = 0;  // of the transaction record this host wrote or read last (0: none)
    bool dirty = false;          // a record's keys may not all be written: roll forward first
    // Values read or committed here (nullopt: no such key). Valid while this host is the
    // space's only writer, which the revision check enforces: a fenced commit drops it, and
    // so does open_space (the component may have run elsewhere meanwhile).
    std::map<std::string, std::optional<std::string>, std::less<>> cache;
  };
  static constexpr std::size_t kCacheBytes = 64u << 20;  // over this (all spaces): start over

  // With mu_ held.
  void drop_cache(SpaceState& st) {
    for (const auto& [k, v] : st.cache) cache_bytes_ -= std::min(cache_bytes_, k.size() + (v ? v->size() : 0) + 64);
    st.cache.clear();
  }
  // With mu_ held.
  void remember(SpaceState& st, std::string_view key, const std::optional<std::string>& value) {
    const std::size_t add = key.size() + (value ? value->size() : 0) + 64;
    if (cache_bytes_ + add > kCacheBytes) {
      for (auto& [name, other] : spaces_) other.cache.clear();
      cache_bytes_ = 0;
    }
    auto [it, fresh] = st.cache.try_emplace(std::string(key));
    if (!fresh) cache_bytes_ -= std::min(cache_bytes_, key.size() + (it->second ? it->second->size() : 0) + 64);
    it->second = value;
    cache_bytes_ += add;
  }

  std::string base(std::string_view space) const { return "c." + hex(space); }
  std::string key_name(std::string_view space, std::string_view key) const { return base(space) + ".k." + hex(key); }
  std::string record_name(std::string_view space) const { return base(space) + ".t"; }

  Error fail(std::string_view what, natsStatus s) const {
    return make_error(ErrorCode::kIo, "storage: JetStream bucket '" + bucket_ + "' at " + o_.url + ": " +
                                          std::string(what) + ": " + nats_text(s));
  }

  // Before the first access of a space here (or after a write that may be half-applied):
  // finish what its last record says.
  Status ensure(std::string_view space) {
    {
      std::lock_guard lock(mu_);
      auto it = spaces_.find(space);
      if (it != spaces_.end() && !it->second.dirty) return {};
    }
    Entry rec;
    natsStatus s = kvStore_Get(&rec.e, kv_, record_name(space).c_str());
    std::uint64_t revision = 0;
    if (s == NATS_OK) {
      revision = kvEntry_Revision(rec.e);
      auto writes = decode(rec.value());
      if (!writes) return make_error(ErrorCode::kIo, "storage: JetStream bucket '" + bucket_ + "': the record of '" +
                                                         std::string(space) + "' is not a wactor record");
      bool applied = false;
      if (!writes->empty() && writes->back().value) {
        Entry last;
        s = kvStore_Get(&last.e, kv_, key_name(space, writes->back().key).c_str());
        if (s == NATS_OK) applied = kvEntry_Revision(last.e) > revision;
        else if (s != NATS_NOT_FOUND) return fail("read", s);
      }
      if (!applied) WACTOR_TRY(apply(space, *writes));
    } else if (s != NATS_NOT_FOUND) {
      return fail("read", s);
    }
    std::lock_guard lock(mu_);
    SpaceState& st = spaces_[std::string(space)];
    drop_cache(st);
    st.revision = revision;
    st.dirty = false;
    return {};
  }

  Status apply(std::string_view space, const std::vector<Write>& writes) {
    for (const auto& w : writes) {
      const std::string name = key_name(space, w.key);
      const natsStatus s = w.value ? kvStore_Put(nullptr, kv_, name.c_str(), w.value->data(), static_cast<int>(w.value->size()))
                                   : kvStore_Delete(kv_, name.c_str());
      if (s != NATS_OK) return fail("write", s);
    }
    return {};
  }

  void mark_dirty(const std::string& space) {
    std::lock_guard lock(mu_);
    if (auto it = spaces_.find(space); it != spaces_.end()) it->second.dirty = true;
  }

  // The subject a key of the bucket is stored under.
  std::string subject(const std::string& key) const { return "$KV." + bucket_ + "." + key; }

  struct Ack {
    bool ok = false;
    std::uint64_t sequence = 0;
    std::string text = "no acknowledgement";
  };
  Ack take_ack(const std::string& subj) {
    std::lock_guard lock(ack_mu_);
    auto it = acks_.find(subj);
    if (it == acks_.end()) return {};
    Ack a = std::move(it->second);
    acks_.erase(it);
    return a;
  }
  // nats.c's thread, before js_PublishAsyncComplete returns for this publish.
  static void on_ack(jsCtx*, natsMsg* msg, jsPubAck* pa, jsPubAckErr* pae, void* closure) {
    auto* self = static_cast<JetStreamStore*>(closure);
    Ack a;
    if (pa && !pae) {
      a.ok = true;
      a.sequence = pa->Sequence;
    } else if (pae) {
      a.text = pae->ErrText ? pae->ErrText : natsStatus_GetText(pae->Err);
    }
    {
      std::lock_guard lock(self->ack_mu_);
      self->acks_[natsMsg_GetSubject(msg)] = std::move(a);
    }
    natsMsg_Destroy(msg);
  }

  // Calls f(key, entry) for every live key of the space (values only if !meta_only).
  template <typename F>
  Status scan(std::string_view space, bool meta_only, F&& f) {
    WACTOR_TRY(ensure(space));
    kvWatchOptions wo;
    kvWatchOptions_Init(&wo);
    wo.MetaOnly = meta_only;
    wo.IgnoreDeletes = true;
    wo.Timeout = static_cast<int64_t>(o_.timeout.count());
    kvWatcher* w = nullptr;
    const std::string filter = base(space) + ".k.>";
    natsStatus s = kvStore_Watch(&w, kv_, filter.c_str(), &wo);
    if (s != NATS_OK) return fail("list", s);
    const std::size_t skip = filter.size() - 1;
    Status out;
    for (;;) {
      Entry e;
      s = kvWatcher_Next(&e.e, w, static_cast<int64_t>(o_.timeout.count()));
      if (s != NATS_OK) {
        out = fail("list", s);
        break;
      }
      if (!e.e) break;  // the initial values are all in
      const std::string_view name = kvEntry_Key(e.e);
      auto key = name.size() > skip ? unhex(name.substr(skip)) : std::nullopt;
      if (key) f(std::move(*key), e);
    }
    kvWatcher_Destroy(w);
    return out;
  }

  const JetStreamOptions o_;
  const std::string bucket_;
  natsConnection* nc_ = nullptr;
  jsCtx* js_ = nullptr;
  kvStore* kv_ = nullptr;
  jsCtx* pub_js_ = nullptr;  // the commits' asynchronous publishes (one commit at a time)
  std::mutex commit_mu_;
  std::mutex ack_mu_;
  std::map<std::string, Ack> acks_;  // subject -> how its publish ended
  std::mutex mu_;
  std::map<std::string, SpaceState, std::less<>> spaces_;
  std::size_t cache_bytes_ = 0;
};

}  // namespace

std::string jetstream_bucket(const std::string& lattice) { return "wactor-kv-" + lattice; }

Result<std::unique_ptr<Store>> open_jetstream(const JetStreamOptions& options) {
  auto store = std::make_unique<JetStreamStore>(options);
  WACTOR_TRY(store->open());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace wactor::storage
