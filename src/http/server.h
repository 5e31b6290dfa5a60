// The embedded HTTP/1.1 server (libevent's evhttp; docs/HTTP.md says why): one event-loop
// thread parses requests and writes responses; a handler answers at once or later from any
// thread, so no thread ever waits on a guest. Keep-alive, header and body limits and
// timeouts for slow clients are enforced here, before any handler sees a request.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "wactor/result.h"

namespace wactor::http {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string path;    // as sent, without the query
  std::string query;   // after '?', empty if none
  Headers headers;
  std::string body;
  // The value of header `name` (case-insensitive), or empty.
  [[nodiscard]] std::string header(std::string_view name) const;
};

struct Response {
  int status = 200;
  Headers headers;
  std::string body;
};

class Core;

// Answers one request, exactly once, from any thread. A Responder dropped without
// answering answers 500. @threadsafe
class Responder {
 public:
  Responder() = default;
  void send(Response response) const;
  [[nodiscard]] explicit operator bool() const { return state_ != nullptr; }

 private:
  friend class Core;
  struct State;
  explicit Responder(std::shared_ptr<State> s) : state_(std::move(s)) {}
  std::shared_ptr<State> state_;
};

// Runs on the loop thread: must not block (hand slow work to another thread).
using Handler = std::function<void(Request&&, Responder)>;

struct ServerOptions {
  std::string address = "127.0.0.1";
  std::uint16_t port = 0;                          // 0: any free port (see Server::port)
  std::size_t max_header_bytes = 16 * 1024;        // the request line and headers: 431/400 past it
  std::size_t max_body_bytes = 1 << 20;            // 413 past it, before the body is read
  std::chrono::seconds timeout{10};                // a connection idle or too slow that long is closed
};

class Server {
 public:
  // Binds and starts the loop thread. Errors: the address cannot be bound.
  [[nodiscard]] static Result<std::unique_ptr<Server>> start(ServerOptions options, Handler handler);
  ~Server();  // stop()
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  [[nodiscard]] std::uint16_t port() const;
  // Stops accepting and answering; responses sent later are dropped. Idempotent.
  void stop();

 private:
  explicit Server(std::shared_ptr<Core> core) : core_(std::move(core)) {}
  std::shared_ptr<Core> core_;
};

}  // namespace wactor::http
