// Agent tests: see below (added in the next commit).
#include "agent/agent.h"
