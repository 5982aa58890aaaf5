// Helpers of Retort's own tests: those of the conformance kit (support/kit.hpp),
// which its cases share with the tests of the built-in backends.
#pragma once

#include "support/kit.hpp"
