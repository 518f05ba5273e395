import Foundation
import HTTPTransport
import KubeClient
import KubeModel
import Logging
import ServiceLifecycle

/// Reads Alertmanager's whole alert list (`GET /api/v2/alerts`): at start and every interval, so
/// each replica's state is Alertmanager's own and a restart loses nothing. Failures are logged
/// when they start and when they end; the book fails closed once the last list is too old.
public final class AlertmanagerSync: Service, Sendable {
    let url: String
    let interval: Duration
    let book: AlertBook
    let logger: Logger
    private let http: HTTPClient

    /// 16 MiB: tens of thousands of alerts.
    public static let defaultMaximumListSize = 16 << 20

    /// - Parameter url: Alertmanager's base URL (`http://alertmanager.monitoring:9093`).
    /// - Parameter maximumListSize: the largest list read (`--alertmanager-max-list-size`).
    public init(url: String, interval: Duration, book: AlertBook, logger: Logger, maximumListSize: Int = defaultMaximumListSize) {
        self.url = url
        self.interval = interval
        self.book = book
        self.logger = logger
        http = Self.client(maximumListSize: maximumListSize)
    }

    /// A client that reads lists of at most `maximumListSize` bytes.
    public static func client(maximumListSize: Int = defaultMaximumListSize) -> HTTPClient {
        HTTPClient(configuration: HTTPClientConfiguration(maximumResponseSize: maximumListSize))
    }

    /// Until cancelled or shut down.
    public func run() async throws {
        await repeatedly(
            every: interval, jitter: 0.1, startNow: true, logger: logger,
            failure: "cannot read Alertmanager's alerts; alertmanager metrics fail once the last list is too old",
            recovery: "Alertmanager answers again", metadata: ["url": "\(url)"]
        ) { [self] in
            book.listed(try await Self.list(url, using: http, timeout: interval).get(), now: Date())
        }
    }

    /// Alertmanager's alerts as of now, or why they cannot be read.
    public static func list(_ url: String, using http: HTTPClient = client(), timeout: Duration) async -> Result<[ReceivedAlert], AlertmanagerPayload.Problem> {
        let endpoint = (url.hasSuffix("/") ? String(url.dropLast()) : url) + "/api/v2/alerts"
        let response: HTTPResponse
        do {
            response = try await http.send(HTTPRequest(url: endpoint, headers: [("Accept", "application/json")], timeout: timeout))
        } catch HTTPError.responseTooLarge(let limit, _) {
            return .failure(
                AlertmanagerPayload.Problem(
                    description:
                        "GET \(endpoint): the alert list passed \(HTTPError.size(limit)), the most hpa-operator reads (--alertmanager-max-list-size); raise it, or silence alerts that are not for scaling"
                ))
        } catch {
            return .failure(AlertmanagerPayload.Problem(description: "GET \(endpoint): \(error)"))
        }
        guard response.status == 200 else {
            return .failure(
                AlertmanagerPayload.Problem(
                    description: "GET \(endpoint): HTTP \(response.status): \(ExternalText.sanitized(response.bodyText, limit: 200))"))
        }
        return AlertmanagerPayload.apiAlerts(response.body).mapError { AlertmanagerPayload.Problem(description: "GET \(endpoint): \($0)") }
    }
}
