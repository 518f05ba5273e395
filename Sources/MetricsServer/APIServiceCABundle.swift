import Foundation
import KubeClient
import KubeModel
import Logging
import ServiceLifecycle

/// Keeps the metrics APIServices trusting our serving CA (`--manage-apiservice-ca-bundle`): their
/// `spec.caBundle` is patched when it differs, at start and every minute after, so an APIService
/// re-applied from manifests is mended. With the admission webhook on, the same for every webhook
/// of the ValidatingWebhookConfiguration (`hpa-operator` unless configured).
public struct APIServiceCABundle: Service {
    /// The APIServices this server answers for.
    public static let names = ["v1beta1.custom.metrics.k8s.io", "v1beta2.custom.metrics.k8s.io", "v1beta1.external.metrics.k8s.io"]
    /// The webhook configuration config/default installs.
    public static let webhookConfiguration = "hpa-operator"

    let client: KubeClient
    /// The APIServices kept (a cluster may leave one group to another adapter).
    let apiServices: [String]
    /// The ValidatingWebhookConfiguration kept, when `webhook`.
    let webhookConfiguration: String
    /// The CA to trust now (it changes only when an old Secret without the CA's key is renewed).
    let caPEM: @Sendable () -> String
    let interval: Duration
    /// Whether the admission webhook's configuration is kept too.
    let webhook: Bool
    let logger: Logger

    public init(
        client: KubeClient, caPEM: @escaping @Sendable () -> String, interval: Duration = .seconds(60), webhook: Bool = false,
        apiServices: [String] = Self.names, webhookConfiguration: String = Self.webhookConfiguration, logger: Logger
    ) {
        self.client = client
        self.apiServices = apiServices
        self.webhookConfiguration = webhookConfiguration
        self.caPEM = caPEM
        self.interval = interval
        self.webhook = webhook
        self.logger = logger
    }

    /// Patches every APIService whose bundle differs; returns how many were patched. A missing
    /// APIService is an error naming it.
    @discardableResult
    public func reconcile() async throws -> Int {
        let bundle = Data(caPEM().utf8).base64EncodedString()
        var patched = 0
        var missing: [String] = []
        for name in apiServices {
            let service: APIService
            do {
                service = try await client.get(APIService.self, namespace: nil, name: name)
            } catch KubeError.notFound {
                missing.append(name)
                continue
            }
            guard service.spec?.caBundle != bundle else { continue }
            let patch = try JSONSerialization.data(withJSONObject: ["spec": ["caBundle": bundle]])
            let _: APIService = try await client.patch(APIService.self, namespace: nil, name: name, .merge(patch))
            patched += 1
            logger.info("set the APIService's caBundle to our serving CA", metadata: ["apiservice": "\(name)"])
        }
        if webhook { patched += try await reconcileWebhooks(bundle) }
        if !missing.isEmpty {
            throw MetricsServerError("APIService \(missing.joined(separator: ", ")) not found; apply config/default, which creates them")
        }
        return patched
    }

    /// Each webhook whose bundle differs, by a JSON patch of its index (guarded by a test of its name).
    private func reconcileWebhooks(_ bundle: String) async throws -> Int {
        let name = webhookConfiguration
        let configuration: ValidatingWebhookConfiguration
        do {
            configuration = try await client.get(ValidatingWebhookConfiguration.self, namespace: nil, name: name)
        } catch KubeError.notFound {
            throw MetricsServerError("ValidatingWebhookConfiguration \(name) not found; apply config/default, which creates it, or run without --admission-webhook")
        }
        var operations: [[String: Any]] = []
        for (index, webhook) in (configuration.webhooks ?? []).enumerated() where webhook.clientConfig?.caBundle != bundle {
            operations.append(["op": "test", "path": "/webhooks/\(index)/name", "value": webhook.name])
            operations.append(["op": "add", "path": "/webhooks/\(index)/clientConfig/caBundle", "value": bundle])
        }
        guard !operations.isEmpty else { return 0 }
        let patch = try JSONSerialization.data(withJSONObject: operations)
        let _: ValidatingWebhookConfiguration = try await client.patch(ValidatingWebhookConfiguration.self, namespace: nil, name: name, .json(patch))
        logger.info("set the admission webhook's caBundle to our serving CA", metadata: ["validatingwebhookconfiguration": "\(name)"])
        return operations.count / 2
    }

    public func run() async throws {
        await repeatedly(
            every: interval, startNow: true, logger: logger,
            failure: "cannot set the APIServices' caBundle; retrying every minute"
        ) { try await reconcile() }
    }
}
