import CCurl
import Foundation
import Synchronization

/// Runs every transfer of the process on one thread with a curl multi handle. The multi handle's
/// connection cache gives keep-alive across requests; Swift tasks only wait on continuations, so
/// libcurl never blocks the cooperative pool.
final class CurlEngine: @unchecked Sendable {
    static let shared = CurlEngine()

    /// Touched only by the engine thread after init.
    private let multi: UnsafeMutableRawPointer
    private let inbox = Mutex<(start: [Transfer], cancel: [Transfer])>(([], []))

    private init() {
        curl_global_init(Int(CURL_GLOBAL_DEFAULT))
        multi = curl_multi_init()
        // Idle connections kept for reuse. Every client of the process shares this cache, so it must
        // hold the apiserver's and every Prometheus server's connections at once.
        _ = ccurl_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, 256)
        let thread = Thread { [self] in run() }
        thread.name = "hpa-operator.curl"
        thread.start()
    }

    func start(_ transfer: Transfer) {
        inbox.withLock { $0.start.append(transfer) }
        curl_multi_wakeup(multi)
    }

    /// Aborts a transfer; it finishes with CancellationError. Safe from any thread, any time.
    func cancel(_ transfer: Transfer) {
        transfer.cancelRequested.store(true, ordering: .releasing)
        inbox.withLock { $0.cancel.append(transfer) }
        curl_multi_wakeup(multi)
    }

    private func run() {
        var active: [UnsafeMutableRawPointer: Transfer] = [:]
        while true {
            let (starting, cancelling) = inbox.withLock { box in
                defer { box = ([], []) }
                return box
            }
            for transfer in starting {
                if transfer.cancelRequested.load(ordering: .acquiring) {
                    transfer.finish(CURLE_ABORTED_BY_CALLBACK, cancelled: true)
                    continue
                }
                active[transfer.easy] = transfer
                curl_multi_add_handle(multi, transfer.easy)
            }
            for transfer in cancelling where active.removeValue(forKey: transfer.easy) != nil {
                curl_multi_remove_handle(multi, transfer.easy)
                transfer.finish(CURLE_ABORTED_BY_CALLBACK, cancelled: true)
            }
            var running: Int32 = 0
            curl_multi_perform(multi, &running)
            var easy: UnsafeMutableRawPointer?
            var result = CURLE_OK
            while ccurl_multi_next_done(multi, &easy, &result) == 1 {
                guard let easy, let transfer = active.removeValue(forKey: easy) else { continue }
                curl_multi_remove_handle(multi, easy)
                transfer.finish(result, cancelled: false)
            }
            // Sleeps until a socket is ready, a wakeup arrives, or a timer is due.
            curl_multi_poll(multi, nil, 0, 1000, nil)
        }
    }
}
