// A valid shared library that exports none of the plugin entry points.
extern "C" __attribute__((visibility("default"))) int retort_test_not_a_plugin() { return 42; }
