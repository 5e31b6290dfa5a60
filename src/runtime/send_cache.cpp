// The directory lookup of a send or request, through the sender's SendCache
// (actor/send_cache.h): what find() would return, without its shard lock and hash while the
// directory did not change since the cached lookup.
#include "runtime/runtime_impl.h"

namespace wactor {

Runtime::Impl::ComponentPtr Runtime::Impl::find_for(actor::Component& from, std::string_view id) {
  actor::SendCache& cache = from.send_cache();
  // Read before the lookup: a change during it leaves the entry stale, never wrong.
  const std::uint64_t epoch = directory_.epoch();
  if (cache.epoch == epoch && cache.target == id) {
    // find() returns the directory's component when it is not down; else it may activate.
    if (ComponentPtr c = cache.to.lock(); c && !c->down()) return c;
  }
  ComponentPtr c = find(id);
  if (c && !c->down()) {
    cache.retarget(id);
    cache.to = c;
    cache.epoch = epoch;
  } else {
    cache.epoch = 0;
  }
  return c;
}

}  // namespace wactor
