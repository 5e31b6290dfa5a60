// The wabt interpreter engine (Debian's libwabt). Reachable only through make_engine().
#pragma once

#include <memory>

#include "wactor/engine.h"

namespace wactor::engine {
std::unique_ptr<Engine> make_wabt_engine();
}
