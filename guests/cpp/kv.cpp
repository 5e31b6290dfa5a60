// Storage through the C++ SDK (tests/sdk_kv_test.cpp; the same commands as guests/rust/kv.rs,
// which lists them). Each request is a command; the reply (and a log line "<command> ->
// <reply>") is its result, a status as its name.
#include "wactor.hpp"

using namespace wactor;

namespace {

using Out = Text<2048>;

// The next space-separated word of s.
str word(str& s) {
  usize i = 0;
  while (i < s.size() && s[i] == ' ') ++i;
  usize j = i;
  while (j < s.size() && s[j] != ' ') ++j;
  const str w = s.substr(i, j - i);
  s = s.substr(j);
  return w;
}

bool all_v(bytes b) {
  for (u8 c : b)
    if (c != 'v') return false;
  return true;
}

// Returns non-zero for a command that must fail its handler.
int run(str cmd, Out& out) {
  const str op = word(cmd);
  const str a = word(cmd);
  str rest = cmd;
  const str b = word(cmd);
  if (op == str("set")) {
    out << kv_set(a, b);
  } else if (op == str("big")) {
    const i64 n = parse_int(rest);
    char* v = static_cast<char*>(scratch(static_cast<usize>(n > 0 ? n : 1)));
    for (i64 i = 0; i < n; ++i) v[i] = 'v';
    out << kv_set(a, Data(v, static_cast<usize>(n)));
  } else if (op == str("get") || op == str("getlen")) {
    const auto v = kv_get(a);
    if (v.status() == Status::not_found) out << "none";
    else if (!v) out << v.status();
    else if (op == str("get")) out << v.value();
    else out << v.value().size() << (all_v(v.value()) ? " true" : " false");
  } else if (op == str("del")) {
    const Status s = kv_delete(a);
    out << (s == Status::ok ? str("deleted") : s == Status::not_found ? str("absent") : str(name(s)));
  } else if (op == str("usage")) {
    const auto n = kv_usage();
    if (n) out << n.value();
    else out << n.status();
  } else if (op == str("fill")) {
    const i64 n = parse_int(rest);
    for (i64 i = 0; i < n; ++i) {
      Text<300> key;
      key << a << static_cast<char>('0' + i / 1000 % 10) << static_cast<char>('0' + i / 100 % 10)
          << static_cast<char>('0' + i / 10 % 10) << static_cast<char>('0' + i % 10);
      while (key.size() < 300) key << 'x';
      const Status s = kv_set(key, "1");
      if (!ok(s)) return 2;
    }
    out << "ok";
  } else if (op == str("list")) {
    Text<2048> names;
    int count = 0;
    const Status s = kv_keys(a == str("-") ? str() : a, [&](str key) {
      if (count++ > 0) names << ',';
      names << key.substr(0, 8);
    });
    if (!ok(s)) out << s;
    else out << count << ':' << names.view();
  } else if (op == str("badkeys")) {
    char long_key[1025];
    for (char& c : long_key) c = 'k';
    out << kv_set(str(), "v") << ' ' << kv_get(str()).status() << ' ' << kv_delete(str()) << ' '
        << kv_set(str(long_key, sizeof long_key), "v");
  } else if (op == str("setfail")) {
    (void)kv_set(a, b);
    return 3;
  } else if (op == str("crash")) {
    __builtin_trap();
  } else {
    out << "unknown command";
  }
  return 0;
}

}  // namespace

struct KvGuest {
  int on_message(const Message& m) {
    Out out;
    const int rc = run(m.text(), out);
    if (rc != 0) return rc;
    Text<2100> line;
    line << m.text() << " -> " << out.view();
    info(line);
    return ok(m.reply(out)) ? 0 : 1;
  }
};

WACTOR_COMPONENT(KvGuest);
