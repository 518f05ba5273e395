import Foundation
import TestSupport
import Testing
import Yams

/// config/ as `kubectl apply -k` would send it: rendered by kubectl's kustomize, then checked
/// against what the install promises.
@Suite struct ConfigTests {
    typealias Object = [String: Any]

    static func render(_ directory: String) async throws -> [Object] {
        let kubectl = try Tool.path("kubectl", hint: "kubectl (google-cloud-cli, or Debian's kubernetes-client)")
        let result = try await Tool.run(kubectl, ["kustomize", CLI.packageRoot.appendingPathComponent(directory).path])
        guard result.status == 0 else { throw ToolError("kubectl kustomize \(directory) failed: \(result.stderr)") }
        return try Yams.load_all(yaml: result.stdout).compactMap { $0 as? Object }
    }

    static func kind(_ objects: [Object], _ kind: String) -> [Object] { objects.filter { $0["kind"] as? String == kind } }
    static func name(_ object: Object) -> String { (object["metadata"] as? Object)?["name"] as? String ?? "" }
    static func namespace(_ object: Object) -> String? { (object["metadata"] as? Object)?["namespace"] as? String }

    /// Every rule of a Role or ClusterRole as (apiGroups, resources, verbs, resourceNames).
    static func rules(_ role: Object) -> [(groups: [String], resources: [String], verbs: [String], names: [String])] {
        (role["rules"] as? [Object] ?? []).map {
            ($0["apiGroups"] as? [String] ?? [], $0["resources"] as? [String] ?? [], $0["verbs"] as? [String] ?? [], $0["resourceNames"] as? [String] ?? [])
        }
    }

    @Test(arguments: ["config/default", "config/cert-manager", "config/samples-prometheus"])
    func everyOverlayRenders(_ directory: String) async throws {
        #expect(try await !Self.render(directory).isEmpty)
    }

    /// The admission webhook never gets in the way of a deploy, and its CA is managed as the
    /// APIServices' is (patched by the operator, or injected by cert-manager).
    @Test func theAdmissionWebhookIsSafeByConfiguration() async throws {
        for directory in ["config/default", "config/cert-manager"] {
            let objects = try await Self.render(directory)
            let configuration = try #require(Self.kind(objects, "ValidatingWebhookConfiguration").first { Self.name($0) == "hpa-operator" })
            let webhooks = try #require(configuration["webhooks"] as? [Object])
            #expect(webhooks.count == 1)
            let webhook = webhooks[0]
            #expect(webhook["failurePolicy"] as? String == "Ignore")
            #expect(webhook["sideEffects"] as? String == "None")
            #expect(webhook["timeoutSeconds"] as? Int == 2)
            #expect(webhook["admissionReviewVersions"] as? [String] == ["v1"])
            let service = ((webhook["clientConfig"] as? Object)?["service"] as? Object)
            #expect(service?["name"] as? String == "hpa-operator" && service?["path"] as? String == "/validate-workload")
            let excluded = ((webhook["namespaceSelector"] as? Object)?["matchExpressions"] as? [Object])?.first?["values"] as? [String]
            #expect(excluded == ["kube-system", "hpa-operator-system"])
            let arguments = try #require(
                Self.kind(objects, "Deployment").first.flatMap { ((($0["spec"] as? Object)?["template"] as? Object)?["spec"] as? Object)?["containers"] as? [Object] }?.first?["args"] as? [String])
            #expect(arguments.contains("--admission-webhook"), "\(directory)")
            let annotations = (configuration["metadata"] as? Object)?["annotations"] as? [String: String]
            #expect((annotations?["cert-manager.io/inject-ca-from"] != nil) == (directory == "config/cert-manager"))
        }
    }

    @Test func rbacIsExactlyWhatTheOperatorUses() async throws {
        let objects = try await Self.render("config/default")
        let operatorRole = try #require(Self.kind(objects, "ClusterRole").first { Self.name($0) == "hpa-operator" })
        let rules = Self.rules(operatorRole).map { "\($0.groups.joined(separator: ","))|\($0.resources.joined(separator: ","))|\($0.verbs.joined(separator: ","))|\($0.names.joined(separator: ","))" }
        #expect(
            rules == [
                "apps|deployments,statefulsets|get,list,watch|",
                "apps|deployments/scale,statefulsets/scale|get,patch,update|",
                "apps|deployments/finalizers,statefulsets/finalizers|update|",
                "autoscaling|horizontalpodautoscalers|get,list,watch,create,update,patch,delete|",
                "|events|create,patch|",
                "apiregistration.k8s.io|apiservices|get,patch|v1beta1.custom.metrics.k8s.io,v1beta2.custom.metrics.k8s.io,v1beta1.external.metrics.k8s.io",
                "admissionregistration.k8s.io|validatingwebhookconfigurations|get,patch|hpa-operator",
            ])
        let namespaced = try #require(Self.kind(objects, "Role").first { Self.name($0) == "hpa-operator" })
        #expect(Self.namespace(namespaced) == "hpa-operator-system")
        let local = Self.rules(namespaced).map { "\($0.groups.joined(separator: ","))|\($0.resources.joined(separator: ","))|\($0.verbs.joined(separator: ","))|\($0.names.joined(separator: ","))" }
        // The Lease and the Secret by name; create (which RBAC cannot limit by name) on its own.
        #expect(
            local == [
                "coordination.k8s.io|leases|get,update|hpa-operator", "coordination.k8s.io|leases|create|",
                "|secrets|get,update|hpa-operator-serving", "|secrets|create|",
            ])

        // The one delegation our metrics API uses: reading the requestheader CA. It authenticates
        // the aggregator by that CA and makes no TokenReview or SubjectAccessReview, so
        // system:auth-delegator is not bound.
        let reader = try #require(Self.kind(objects, "RoleBinding").first { Self.namespace($0) == "kube-system" })
        #expect((reader["roleRef"] as? Object)?["name"] as? String == "extension-apiserver-authentication-reader")
        #expect(!Self.kind(objects, "ClusterRoleBinding").contains { ($0["roleRef"] as? Object)?["name"] as? String == "system:auth-delegator" })

        // The HPA controller may read the metrics APIs, and nothing else.
        let metricsReader = try #require(Self.kind(objects, "ClusterRole").first { Self.name($0) == "hpa-operator:metrics-reader" })
        #expect(Self.rules(metricsReader).map(\.groups) == [["custom.metrics.k8s.io", "external.metrics.k8s.io"]])
        #expect(Self.rules(metricsReader).map(\.verbs) == [["get", "list"]])
        let binding = try #require(Self.kind(objects, "ClusterRoleBinding").first { ($0["roleRef"] as? Object)?["name"] as? String == "hpa-operator:metrics-reader" })
        let subject = try #require((binding["subjects"] as? [Object])?.first)
        #expect(subject["name"] as? String == "horizontal-pod-autoscaler" && subject["namespace"] as? String == "kube-system")
    }

    @Test func noWildcardAnywhereButTheMetricNamesTheHPAControllerReads() async throws {
        for directory in ["config/default", "config/cert-manager"] {
            for role in try await Self.kind(Self.render(directory), "ClusterRole") + Self.kind(await Self.render(directory), "Role") {
                for rule in Self.rules(role) {
                    #expect(!rule.verbs.contains("*") && !rule.groups.contains("*") && !rule.names.contains("*"), "\(Self.name(role))")
                    // Metric names are the resources of the two read-only metrics groups; RBAC can only name them all.
                    let metricsOnly = Set(rule.groups).isSubset(of: ["custom.metrics.k8s.io", "external.metrics.k8s.io"]) && Set(rule.verbs).isSubset(of: ["get", "list"])
                    #expect(!rule.resources.contains("*") || metricsOnly, "\(Self.name(role)): \(rule)")
                }
            }
        }
    }

    @Test func theDeploymentIsHardenedAndServedByTheAPIServices() async throws {
        let objects = try await Self.render("config/default")
        let deployment = try #require(Self.kind(objects, "Deployment").first)
        let spec = try #require(deployment["spec"] as? Object)
        #expect(spec["replicas"] as? Int == 2)
        let template = try #require(spec["template"] as? Object)
        let podLabels = try #require((template["metadata"] as? Object)?["labels"] as? [String: String])
        let pod = try #require(template["spec"] as? Object)
        let podSecurity = try #require(pod["securityContext"] as? Object)
        #expect(podSecurity["runAsNonRoot"] as? Bool == true)
        #expect((podSecurity["seccompProfile"] as? Object)?["type"] as? String == "RuntimeDefault")
        let container = try #require((pod["containers"] as? [Object])?.first)
        let security = try #require(container["securityContext"] as? Object)
        #expect(security["readOnlyRootFilesystem"] as? Bool == true)
        #expect(security["allowPrivilegeEscalation"] as? Bool == false)
        #expect((security["capabilities"] as? Object)?["drop"] as? [String] == ["ALL"])
        #expect(container["readinessProbe"] != nil && container["livenessProbe"] != nil)
        let resources = try #require(container["resources"] as? Object)
        #expect(resources["requests"] != nil && resources["limits"] != nil)
        let args = container["args"] as? [String] ?? []
        #expect(args.contains("--leader-elect") && args.contains("--manage-apiservice-ca-bundle"))
        // The Prometheus URL comes from the generated ConfigMap.
        let configMap = try #require(Self.kind(objects, "ConfigMap").first)
        let reference = (((container["env"] as? [Object])?.first?["valueFrom"] as? Object)?["configMapKeyRef"] as? Object)?["name"] as? String
        #expect(reference == Self.name(configMap))

        // The Service selects these pods, on the port the APIServices use.
        let service = try #require(Self.kind(objects, "Service").first)
        let selector = try #require((service["spec"] as? Object)?["selector"] as? [String: String])
        #expect(selector.allSatisfy { podLabels[$0.key] == $0.value })
        let ports = (service["spec"] as? Object)?["ports"] as? [Object] ?? []
        let apiServices = Self.kind(objects, "APIService")
        #expect(Set(apiServices.map(Self.name)) == ["v1beta1.custom.metrics.k8s.io", "v1beta2.custom.metrics.k8s.io", "v1beta1.external.metrics.k8s.io"])
        for apiService in apiServices {
            let spec = try #require(apiService["spec"] as? Object)
            #expect(spec["insecureSkipTLSVerify"] == nil)
            let reference = try #require(spec["service"] as? Object)
            #expect(reference["name"] as? String == Self.name(service) && reference["namespace"] as? String == Self.namespace(service))
            #expect(ports.contains { $0["port"] as? Int == reference["port"] as? Int && $0["targetPort"] as? String == "https" })
        }
        #expect(((container["ports"] as? [Object]) ?? []).contains { $0["name"] as? String == "https" })
    }

    @Test func everyFlagInTheManifestsIsAFlagOfRun() async throws {
        let help = try await CLI.run(["run", "--help"]).stdout
        for directory in ["config/default", "config/cert-manager"] {
            let deployment = try await #require(Self.kind(Self.render(directory), "Deployment").first)
            let container = try #require(((((deployment["spec"] as? Object)?["template"] as? Object)?["spec"] as? Object)?["containers"] as? [Object])?.first)
            let args = try #require(container["args"] as? [String])
            #expect(args.first == "run")
            for argument in args.dropFirst() {
                let flag = String(argument.split(separator: "=", maxSplits: 1)[0])
                #expect(flag.hasPrefix("--") && (help.contains(flag + " ") || help.contains(flag + "\n")), "\(directory): \(flag) is not a flag of hpa-operator run")
            }
        }
    }
}
