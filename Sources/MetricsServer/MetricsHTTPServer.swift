import Foundation
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import ServiceLifecycle
import Synchronization

/// The metrics API over HTTPS (README, "The metrics API"): health paths open to all; every other path only for
/// requests the requestheader authentication accepts (unless authentication is skipped).
public final class MetricsHTTPServer: Service, Sendable {
    public enum Authentication: Sendable {
        /// No checks at all: for local use only.
        case skip
        /// The kube-aggregator's client certificate, verified against `authorities`, vouches for `X-Remote-*`.
        case requestHeader(ClientCertificateAuthorities)
    }

    public struct Configuration: Sendable {
        public var host: String
        public var port: Int
        public var identity: ServingIdentity
        public var authentication: Authentication
        /// `POST /validate-workload` (an admission webhook, called by the apiserver without the
        /// aggregator's client certificate): the AdmissionReview body in, status and body out.
        /// nil: not served.
        public var admission: (@Sendable (Data) -> (status: Int, body: Data))?
        /// How long a review may take before it is answered 503 (see `AdmissionReviews`).
        public var admissionDeadline: Duration

        public init(
            host: String = "0.0.0.0", port: Int = 6443, identity: ServingIdentity, authentication: Authentication,
            admission: (@Sendable (Data) -> (status: Int, body: Data))? = nil, admissionDeadline: Duration = .milliseconds(1_500)
        ) {
            self.host = host
            self.port = port
            self.identity = identity
            self.authentication = authentication
            self.admission = admission
            self.admissionDeadline = admissionDeadline
        }
    }

    let api: MetricsAPI
    public let configuration: Configuration
    /// The admission webhook's reviews, run off the event loops.
    let reviews: AdmissionReviews?
    let metrics: MetricsAPIMetrics?
    let isReady: @Sendable () -> Bool
    let logger: Logger
    private let boundPort = Mutex<Int?>(nil)
    private let failed = Mutex<MetricsServerError?>(nil)

    public init(api: MetricsAPI, configuration: Configuration, metrics: MetricsAPIMetrics?, isReady: @escaping @Sendable () -> Bool, logger: Logger) {
        self.api = api
        self.configuration = configuration
        reviews = configuration.admission.map { AdmissionReviews($0, deadline: configuration.admissionDeadline) }
        self.metrics = metrics
        self.isReady = isReady
        self.logger = logger
    }

    /// Why the server ended by itself (a port that cannot be bound).
    public var failure: (any Error)? { failed.withLock { $0 } as (any Error)? }

    /// The bound port, once listening (useful with port 0).
    public var port: Int? { boundPort.withLock { $0 } }

    public func run() async throws {
        var channel = TLSChannelConfiguration(tlsConfiguration: configuration.identity.tlsConfiguration(verifyClients: false))
        if case .requestHeader(let authorities) = configuration.authentication {
            channel = TLSChannelConfiguration(
                tlsConfiguration: configuration.identity.tlsConfiguration(verifyClients: true),
                customAsyncVerificationCallback: { chain in await authorities.verify(chain) })
        } else {
            logger.warning("metrics API authentication is OFF (--insecure-disable-authentication): anyone who reaches the secure port can read every metric")
        }
        // Hummingbird reports a cancelled server as errors; failures to bind surface from run().
        var quiet = logger
        quiet.logLevel = .critical
        let server = try TLSChannel(MetricsAPIChannel(server: self), configuration: channel).server(
            configuration: ServerConfiguration(address: .hostname(configuration.host, port: configuration.port)),
            onServerRunning: { [weak self, logger, host = configuration.host] channel in
                let port = channel.localAddress?.port
                self?.boundPort.withLock { $0 = port }
                logger.info("serving the metrics API", metadata: ["address": "\(host):\(port ?? 0)"])
            },
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton, logger: quiet)
        // Stopping is a graceful shutdown of the server in its own task: it stops accepting at
        // once, lets requests in flight finish and closes idle keep-alive connections. (Cancelling
        // it instead waits on connections that clients keep open.) Closing a TLS connection waits
        // up to 5 s for the client's close_notify, which pooled clients never send, so after one
        // second we stop waiting: the port is free by then and nothing is being answered.
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(services: [server], logger: quiet))
        let serving = Task { try await group.run() }
        let (stop, requestStop) = AsyncStream<Void>.makeStream()
        let stopRequested = Mutex<Bool>(false)
        // Unstructured, so the caller's cancellation does not cut the one-second grace short.
        let grace = Task {
            for await _ in stop { break }
            try? await Task.sleep(for: .seconds(1))
        }
        await withTaskCancellationOrGracefulShutdownHandler {
            await Self.first(serving, grace)
        } onCancelOrGracefulShutdown: {
            stopRequested.withLock { $0 = true }
            requestStop.yield()
            Task { await group.triggerGracefulShutdown() }
        }
        grace.cancel()
        reviews?.stop()
        // Ended on its own (a port that cannot be bound): say why.
        if !stopRequested.withLock({ $0 }) {
            do { try await serving.value } catch {
                let reason = "\(error)".contains("Address already in use") ? "address already in use (is another process using the port?)" : "\(error)"
                let failure = MetricsServerError("cannot serve the metrics API on \(configuration.host):\(configuration.port): \(reason)")
                failed.withLock { $0 = failure }
                throw failure
            }
        }
    }

    /// Waits until either task has finished.
    private static func first(_ serving: Task<Void, any Error>, _ grace: Task<Void, Never>) async {
        let resumed = Mutex<Bool>(false)
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resume = { @Sendable in
                if resumed.withLock({
                    let first = !$0
                    $0 = true
                    return first
                }) {
                    continuation.resume()
                }
            }
            Task {
                _ = await serving.result
                resume()
            }
            Task {
                await grace.value
                resume()
            }
        }
    }
}
