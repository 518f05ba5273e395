import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// Runs admission reviews off the event loops, each on a thread of its own pool, so no review,
/// however large or slow, holds up health checks, the metrics API or another review. Each is
/// answered within `deadline` (below the webhook's `timeoutSeconds`, 2 in config/default): one
/// still running then is answered 503 (the webhook's failurePolicy decides) and finishes unseen.
/// At most `limit` run at once (one per thread), counted until they finish; more are answered 429
/// at once.
final class AdmissionReviews: Sendable {
    typealias Review = @Sendable (Data) -> (status: Int, body: Data)

    static let defaultLimit = 8

    private let review: Review
    private let deadline: Duration
    private let limit: Int
    private let running = Mutex(0)
    private let threads: NIOThreadPool

    init(_ review: @escaping Review, deadline: Duration, limit: Int = defaultLimit) {
        self.review = review
        self.deadline = deadline
        self.limit = max(limit, 1)
        threads = NIOThreadPool(numberOfThreads: self.limit)
        threads.start()
    }

    /// Lets the threads end once their reviews are done.
    func stop() {
        threads.shutdownGracefully { _ in }
    }

    /// The answer to `body`, completed on `loop`.
    func answer(_ body: Data, on loop: any EventLoop) -> EventLoopFuture<MetricsAPIResponse> {
        let admitted = running.withLock { count in
            guard count < limit else { return false }
            count += 1
            return true
        }
        guard admitted else {
            return loop.makeSucceededFuture(MetricsAPI.status(429, reason: "TooManyRequests", "\(limit) admission reviews are running; try again"))
        }
        let promise = loop.makePromise(of: MetricsAPIResponse.self)
        let answered = NIOLoopBoundBox(false, eventLoop: loop)
        let late = MetricsAPI.status(503, reason: "ServiceUnavailable", "the admission review took longer than \(deadline); hpa-operator gives no verdict (the webhook's failurePolicy decides)")
        let timeout = loop.scheduleTask(in: TimeAmount(deadline)) {
            guard !answered.value else { return }
            answered.value = true
            promise.succeed(late)
        }
        threads.runIfActive(eventLoop: loop) { [review] in review(body) }
            .always { _ in self.running.withLock { $0 -= 1 } }
            .whenComplete { result in
                timeout.cancel()
                guard !answered.value else { return }
                answered.value = true
                switch result {
                case .success(let answer): promise.succeed(MetricsAPIResponse(status: answer.status, body: answer.body))
                case .failure: promise.succeed(late)
                }
            }
        return promise.futureResult
    }
}
