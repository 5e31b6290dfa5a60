// Candidate: Boost.Beast 1.74 (Debian libboost-dev, header-only), async, one io_context thread.
// GET /hello -> 200 "hello", keep-alive. Usage: hello_beast PORT [deferred]
// "deferred": the session hands the request to a worker thread (deferred_queue.h); the worker
// wakes the io_context with asio::post once per batch and the loop thread writes the replies.
// Beast has no built-in timeouts or connection limits: a real server adds a beast::tcp_stream
// expiry per operation and a header/body limit on the parser (done here for the header limit).
#include <optional>
#include <utility>  // before asio: Boost 1.74 awaitable.hpp uses std::exchange unincluded (C++20)

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "deferred_queue.h"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

class Session;
using Queue = DeferredQueue<std::shared_ptr<Session>>;
Queue* g_queue = nullptr;  // non-null in the deferred variant

class Session : public std::enable_shared_from_this<Session> {
 public:
  explicit Session(tcp::socket socket) : stream_(std::move(socket)) {}

  void read() {
    parser_.emplace();
    parser_->header_limit(8192);
    parser_->body_limit(1 << 20);
    stream_.expires_after(std::chrono::seconds(30));
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                       self->on_read(ec);
                     });
  }

  void reply() {
    const auto& req = parser_->get();
    res_ = {};
    res_.version(req.version());
    res_.keep_alive(req.keep_alive());
    if (req.method() != http::verb::get || req.target() != "/hello") {
      res_.result(http::status::not_found);
    } else {
      res_.result(http::status::ok);
      res_.set(http::field::content_type, "text/plain");
      res_.body() = "hello";
    }
    res_.prepare_payload();
    http::async_write(stream_, res_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return;
      if (!self->res_.keep_alive()) {
        self->stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
        return;
      }
      self->read();
    });
  }

 private:
  void on_read(beast::error_code ec) {
    if (ec) return;  // closed, timed out or malformed
    if (g_queue != nullptr) {
      g_queue->submit(shared_from_this());
    } else {
      reply();
    }
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> res_;
};

void accept(tcp::acceptor& acceptor) {
  acceptor.async_accept([&acceptor](beast::error_code ec, tcp::socket socket) {
    if (!ec) std::make_shared<Session>(std::move(socket))->read();
    accept(acceptor);
  });
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s PORT [deferred]\n", argv[0]);
    return 2;
  }
  asio::io_context ioc(1);
  tcp::acceptor acceptor(ioc, {asio::ip::make_address("127.0.0.1"),
                               static_cast<unsigned short>(std::atoi(argv[1]))});
  Queue queue;
  if (argc > 2 && std::strcmp(argv[2], "deferred") == 0) {
    g_queue = &queue;
    queue.start([&ioc, &queue] {
      asio::post(ioc, [&queue] {
        for (auto& session : queue.take_done()) session->reply();
      });
    });
  }
  accept(acceptor);
  ioc.run();
  return 0;
}
