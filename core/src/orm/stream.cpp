// Streamed ORM results: rows are read a chunk at a time, turned into objects,
// and each chunk's relationships are loaded before its objects are handed out.
//
// A loader's SELECT needs the connection while the stream is open. Where the
// backend fetches each batch by a request of its own (PostgreSQL's cursor in a
// transaction, SQLite) the loaders run between fetches, and memory holds one
// chunk. Where the rows hold the connection's wire until read (MariaDB), the
// rest of the result is read into memory first, when a chunk needs a loader
// query and rows remain; the loaders still run chunk by chunk.
#include <boost/unordered/unordered_flat_set.hpp>

#include "session_impl.hpp"

namespace retort::orm {

namespace detail {

struct StreamImpl {
    SessionImpl* session = nullptr;  ///< null once the stream is over or its session ended it
    const char* ended_by = nullptr;  ///< what ended it from the session's side
    const Mapper* mapper = nullptr;
    std::optional<retort::AsyncResult> rows;
    std::vector<Row> rest;  ///< rows read ahead so that loaders could run
    std::size_t rest_position = 0;
    bool rows_done = false;
    std::vector<SessionImpl::LoadNode> plan;
    std::size_t chunk_rows = 1000;
    std::vector<std::shared_ptr<void>> ready;  ///< the current chunk's objects (owned: expunge cannot free them)
    std::size_t position = 0;

    StreamImpl(const StreamImpl&) = delete;
    StreamImpl& operator=(const StreamImpl&) = delete;
    explicit StreamImpl(SessionImpl& s) : session(&s) { s.streams.push_back(this); }
    ~StreamImpl() { detach(); }
    /// No longer an open stream of its session (read to its end, or closed).
    void detach() {
        if (!session) return;
        std::erase(session->streams, this);
        session = nullptr;
    }

    /// Drops the current chunk's objects; the session keeps those the program
    /// still holds or changed (SessionImpl::release_unheld).
    void release_chunk() {
        std::vector<const void*> objects;
        for (const auto& o : ready) objects.push_back(o.get());
        ready.clear();
        if (!session) return;
        std::vector<InstanceState*> states;
        for (const void* o : objects)
            if (InstanceState* state = session->find(o)) states.push_back(state);
        session->release_unheld(std::move(states));
    }

    awaitable<std::vector<Row>> next_chunk() {
        std::vector<Row> out;
        if (!rows_done) {
            out = co_await rows->fetchmany(chunk_rows);
            if (out.size() < chunk_rows) rows_done = true;
            co_return out;
        }
        while (out.size() < chunk_rows && rest_position < rest.size()) out.push_back(std::move(rest[rest_position++]));
        co_return out;
    }
};

namespace {
// In a stream, rows cannot be de-duplicated across chunks, so joined loads
// run as selectin loads of each chunk.
void joined_to_selectin(std::vector<SessionImpl::LoadNode>& plan) {
    for (auto& n : plan) {
        if (n.strategy == Lazy::joined) {
            n.strategy = Lazy::selectin;
            n.batch_size = default_selectin_batch_size;
        }
        joined_to_selectin(n.children);
    }
}
bool loads_anything(const std::vector<SessionImpl::LoadNode>& plan) {
    for (const auto& n : plan)
        if (n.strategy != Lazy::raise) return true;
    return false;
}
}  // namespace

void SessionImpl::end_streams(const char* why) {
    for (auto* stream : streams) {
        stream->session = nullptr;
        stream->ended_by = why;
        stream->ready.clear();
    }
    streams.clear();
}

}  // namespace detail

StreamedObjects::StreamedObjects(std::unique_ptr<detail::StreamImpl> impl) : impl_(std::move(impl)) {}
StreamedObjects::StreamedObjects(StreamedObjects&&) noexcept = default;
StreamedObjects& StreamedObjects::operator=(StreamedObjects&&) noexcept = default;
StreamedObjects::~StreamedObjects() = default;

awaitable<std::shared_ptr<void>> StreamedObjects::next() {
    auto& s = *impl_;
    if (s.ended_by)
        throw InvalidRequestError(std::string("this stream was ended by its session's ") + s.ended_by +
                                  " before it was read to its end");
    while (s.position >= s.ready.size()) {
        // The chunk read is handed out: the session lets go of what the program did.
        s.release_chunk();
        if (!s.session || (s.rows_done && s.rest_position >= s.rest.size())) {
            s.detach();
            co_return nullptr;
        }
        auto chunk = co_await s.next_chunk();
        if (chunk.empty()) {
            s.detach();
            co_return nullptr;
        }
        s.position = 0;
        std::vector<detail::InstanceState*> states;
        boost::unordered_flat_set<detail::InstanceState*> seen;
        for (const auto& row : chunk) {
            auto* state = s.session->load_row(*s.mapper, row.values().data(), false);
            if (state && seen.insert(state).second) states.push_back(state);
        }
        auto plan = detail::with_defaults(*s.mapper, s.plan);
        detail::joined_to_selectin(plan);
        if (detail::loads_anything(plan)) {
            if (!s.rows_done && !s.rows->allows_other_statements()) {
                s.rest = co_await s.rows->all();
                s.rows_done = true;
            }
            co_await s.session->apply_loaders(*s.mapper, states, plan);
        }
        for (auto* state : states) s.ready.push_back(state->object);
    }
    co_return s.ready[s.position++];
}

std::size_t StreamedObjects::read_ahead() const { return impl_->rest.size() - impl_->rest_position; }

awaitable<void> StreamedObjects::close() {
    auto& s = *impl_;
    s.release_chunk();
    s.detach();
    s.rest.clear();
    s.rest_position = 0;
    if (!s.rows_done && !s.ended_by) co_await s.rows->close();
    s.rows_done = true;
}

awaitable<StreamedObjects> AsyncSession::stream_objects(const Mapper& m, const sql::Select& stmt,
                                                         const std::vector<LoaderOption>& loaders, std::size_t chunk_rows) {
    auto& impl = *impl_;
    if (impl.autoflush_due()) co_await flush();
    AsyncConnection* conn = co_await impl.connection();
    auto rows = co_await conn->stream(stmt);
    auto s = std::make_unique<detail::StreamImpl>(impl);
    s->mapper = &m;
    s->plan = detail::build_plan(m, loaders);
    if (chunk_rows) s->chunk_rows = chunk_rows;
    s->rows.emplace(std::move(rows));
    co_return StreamedObjects(std::move(s));
}

}  // namespace retort::orm
