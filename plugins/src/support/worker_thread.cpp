// The io_context side of WorkerThread: one registry of pending operations per
// io_context, in the core so that every plugin shares the one service id.
#include "retort/plugin/support/worker_thread.hpp"

namespace retort::plugin::support::detail {

WorkerOp::~WorkerOp() = default;

boost::asio::execution_context::id PendingWorkerOps::id;

PendingWorkerOps::PendingWorkerOps(boost::asio::execution_context& context) : service(context) {}

void PendingWorkerOps::add(const std::shared_ptr<WorkerOp>& op) {
    std::lock_guard lock(mutex_);
    ops_.emplace(op.get(), op);
}

void PendingWorkerOps::remove(const WorkerOp* op) noexcept {
    std::lock_guard lock(mutex_);
    ops_.erase(op);
}

void PendingWorkerOps::shutdown() {
    std::unordered_map<const WorkerOp*, std::shared_ptr<WorkerOp>> ops;
    {
        std::lock_guard lock(mutex_);
        ops.swap(ops_);
    }
    for (const auto& entry : ops) entry.second->abandon();
}

}  // namespace retort::plugin::support::detail
