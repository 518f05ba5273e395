import Foundation

/// What `POST /alertmanager/webhook` does with one request, without the server: the bearer token
/// checked in constant time, the body read as a version-4 payload. Every refusal has its status
/// and a reason the sender's operator can act on.
public struct AlertWebhook: Sendable {
    public static let path = "/alertmanager/webhook"
    /// Alertmanager sends at most `max_alerts` alerts per webhook (default: all of a group); 4 MiB
    /// is several thousand alerts with their labels and annotations.
    public static let maximumBody = 4 * 1024 * 1024

    public struct Refusal: Error, Hashable, Sendable, CustomStringConvertible {
        public var status: Int
        public var reason: String
        public var description: String { "\(status): \(reason)" }
    }

    /// The token a request must bear, read for each request (so a rotated Secret applies at once);
    /// nil from it: the file cannot be read, and every request is refused. Without a token
    /// provider, the TLS client certificate is the authentication.
    let token: (@Sendable () -> String?)?

    public init(token: (@Sendable () -> String?)?) {
        self.token = token
    }

    /// Checks the token in `path`, re-read for each request; nil: no token is checked.
    public init(tokenFile path: String?) {
        guard let path else {
            self.init(token: nil)
            return
        }
        self.init(token: { Self.token(inFile: path) })
    }

    /// A token file's token: its text without surrounding whitespace, nil when it cannot be read or is empty.
    public static func token(inFile path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return token.isEmpty ? nil : token
    }

    /// nil when the `Authorization` header (nil: none sent) is the one expected.
    public func refusal(authorization: String?) -> Refusal? {
        guard let token else { return nil }
        guard let expected = token() else {
            return Refusal(status: 401, reason: "the receiver cannot read its --alertmanager-token-file, so it accepts no webhook")
        }
        guard let authorization, authorization.count > 7, authorization.prefix(7).lowercased() == "bearer " else {
            return Refusal(status: 401, reason: "a bearer token is required (Alertmanager: http_config.authorization.credentials_file)")
        }
        guard Self.sameBytes(Array(authorization.dropFirst(7).utf8), Array(expected.utf8)) else {
            return Refusal(status: 401, reason: "the bearer token is not the receiver's")
        }
        return nil
    }

    /// A webhook body's alerts, or why it is refused (nil body: larger than `maximumBody`).
    public func alerts(in body: Data?) -> Result<[ReceivedAlert], Refusal> {
        guard let body else { return .failure(Refusal(status: 413, reason: "the body is larger than \(Self.maximumBody) bytes; lower max_alerts in the webhook_config")) }
        return AlertmanagerPayload.webhook(body).mapError { Refusal(status: 400, reason: $0.description) }
    }

    /// Compares without stopping at the first difference, so the time taken tells nothing of the token.
    static func sameBytes(_ given: [UInt8], _ expected: [UInt8]) -> Bool {
        var difference = UInt8(given.count == expected.count ? 0 : 1)
        for index in expected.indices { difference |= expected[index] ^ (index < given.count ? given[index] : 0) }
        return difference == 0
    }
}
