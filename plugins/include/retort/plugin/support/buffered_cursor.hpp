// A cursor over rows already read in full: Connection::stream() for a driver
// (or a statement) that cannot fetch rows in batches. The connection is free
// for other statements while it is open: nothing is left on the wire.
#pragma once

#include <algorithm>
#include <iterator>

#include "retort/plugin/driver.hpp"

namespace retort::plugin::support {

class BufferedCursor : public Cursor {
public:
    explicit BufferedCursor(RawResult rows) : rows_(std::move(rows)) {}
    const std::vector<std::string>& column_names() const override { return rows_.column_names; }
    awaitable<std::size_t> fetch(std::vector<Value>& out, std::size_t max_rows) override {
        std::size_t width = rows_.column_names.size();
        if (width == 0) co_return 0;
        std::size_t rows = std::min(max_rows, (rows_.values.size() - pos_) / width);
        auto first = rows_.values.begin() + static_cast<std::ptrdiff_t>(pos_);
        auto last = first + static_cast<std::ptrdiff_t>(rows * width);
        out.insert(out.end(), std::make_move_iterator(first), std::make_move_iterator(last));
        pos_ += rows * width;
        co_return rows;
    }
    awaitable<void> close() override { co_return; }
    bool allows_other_statements() const override { return true; }

private:
    RawResult rows_;
    std::size_t pos_ = 0;
};

}  // namespace retort::plugin::support
