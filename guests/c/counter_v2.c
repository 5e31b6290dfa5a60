/* Upgrade test guest, version 2: see counter.h. */
#define COUNTER_V 2
#include "counter.h"
