/* Upgrade test guest, version 1: see counter.h. */
#define COUNTER_V 1
#include "counter.h"
