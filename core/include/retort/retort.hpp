// Everything an application needs: `#include <retort/retort.hpp>`.
#pragma once

#include "retort/config.hpp"
#include "retort/engine/engine.hpp"
#include "retort/error.hpp"
#include "retort/plugin/dialect.hpp"
#include "retort/schema/metadata.hpp"
#include "retort/sql/dml.hpp"
#include "retort/sql/select.hpp"
#include "retort/url.hpp"
