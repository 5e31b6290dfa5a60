// The JetStream key-value backend (docs/STORAGE.md, "JetStream backend"): one bucket per
// lattice, a component's keys under its own hex-encoded prefix, a handler batch made atomic
// by a per-component transaction record written (with an optimistic revision check) before
// its keys.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "storage/store.h"

namespace wactor::storage {

struct JetStreamOptions {
  std::string url;      // nats://host:port
  std::string lattice;  // the bucket is "wactor-kv-<lattice>"
  std::string creds_file, tls_ca_file, tls_cert_file, tls_key_file;
  int replicas = 1;  // of a bucket created here
  std::chrono::milliseconds timeout{5'000};  // per JetStream request
};

// Connects, binds the lattice's bucket (creating it if missing); one line naming the URL if
// NATS cannot be reached or JetStream is not enabled there.
[[nodiscard]] Result<std::unique_ptr<Store>> open_jetstream(const JetStreamOptions& options);

// The bucket's name for a lattice (the bench and tests write to it directly).
std::string jetstream_bucket(const std::string& lattice);

}  // namespace wactor::storage
