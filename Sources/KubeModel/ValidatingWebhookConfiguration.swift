/// admissionregistration.k8s.io/v1 ValidatingWebhookConfiguration: only each webhook's name and
/// the CA bundle the apiserver trusts when calling it.
public struct ValidatingWebhookConfiguration: Codable, Hashable, Sendable {
    public static let apiVersion = "admissionregistration.k8s.io/v1"
    public static let kind = "ValidatingWebhookConfiguration"

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var webhooks: [Webhook]?

    public struct Webhook: Codable, Hashable, Sendable {
        public var name: String
        public var clientConfig: ClientConfig?
    }

    public struct ClientConfig: Codable, Hashable, Sendable {
        /// PEM bundle, base64 in JSON.
        public var caBundle: String?
    }
}
