// Everything an application needs: `#include <retort/retort.hpp>`. (The
// plugin contract, retort/plugin/, is for dialects and tools, not applications.)
#pragma once

#include "retort/config.hpp"
#include "retort/engine/engine.hpp"
#include "retort/error.hpp"
#include "retort/schema/metadata.hpp"
#include "retort/sql/dml.hpp"
#include "retort/sql/select.hpp"
#include "retort/url.hpp"
