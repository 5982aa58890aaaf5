// The ORM: `#include <retort/orm.hpp>` for mapped classes, sessions and loaders.
#pragma once

#include "retort/orm/collection.hpp"
#include "retort/orm/defaulted.hpp"
#include "retort/orm/mapper.hpp"
#include "retort/orm/mapping.hpp"
#include "retort/orm/query.hpp"
#include "retort/orm/session.hpp"
#include "retort/retort.hpp"
