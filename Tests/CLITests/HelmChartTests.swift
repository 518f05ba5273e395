import Foundation
import TestSupport
import Testing
import Yams

/// config/helm/hpa-operator, rendered and linted by Helm's own Go SDK. config/default stays the
/// source of truth for what an install is: the chart's defaults must render the same RBAC rules,
/// pod hardening, Service, APIServices and webhook (this test is what keeps them from drifting).
@Suite(.enabled(if: HelmSDK.available, "skipped: \(HelmSDK.hint)"))
struct HelmChartTests {
    typealias Object = [String: Any]

    static func objects(_ values: [String: Any] = [:], release: String = "hpa-operator", namespace: String = "hpa-operator-system") async throws -> [Object] {
        try await HelmSDK.render(values, release: release, namespace: namespace).filter { $0.key.hasSuffix(".yaml") }.sorted { $0.key < $1.key }
            .flatMap { try Yams.load_all(yaml: $0.value).compactMap { $0 as? Object } }
    }

    static func canonical(_ value: Any?) -> String {
        guard let value, JSONSerialization.isValidJSONObject([value]) else { return "nil" }
        return String(decoding: try! JSONSerialization.data(withJSONObject: [value], options: [.sortedKeys]), as: UTF8.self)
    }

    static func find(_ objects: [Object], _ kind: String, _ name: String? = nil) -> Object? {
        objects.first { $0["kind"] as? String == kind && (name == nil || ConfigTests.name($0) == name) }
    }

    static func podSpec(_ objects: [Object], kind: String = "Deployment") -> Object {
        let object = find(objects, kind) ?? [:]
        if kind == "Pod" { return object["spec"] as? Object ?? [:] }
        return (((object["spec"] as? Object)?["template"] as? Object)?["spec"] as? Object) ?? [:]
    }

    static func container(_ objects: [Object], kind: String = "Deployment") -> Object {
        (podSpec(objects, kind: kind)["containers"] as? [Object])?.first ?? [:]
    }

    static func args(_ objects: [Object], kind: String = "Deployment") -> [String] { container(objects, kind: kind)["args"] as? [String] ?? [] }

    /// The dashboard ConfigMap carries the chart's dashboard file as it is, with the sidecar's label.
    @Test func theGrafanaDashboardIsAConfigMapForTheSidecar() async throws {
        #expect(Self.find(try await Self.objects(), "ConfigMap", "hpa-operator-dashboard") == nil, "off by default")
        let objects = try await Self.objects(["grafanaDashboard": ["enabled": true, "namespace": "monitoring"]])
        let map = try #require(Self.find(objects, "ConfigMap", "hpa-operator-dashboard"))
        #expect(ConfigTests.namespace(map) == "monitoring")
        #expect(((map["metadata"] as? Object)?["labels"] as? Object)?["grafana_dashboard"] as? String == "1")
        let file = try String(contentsOf: CLI.packageRoot.appendingPathComponent("config/helm/hpa-operator/dashboards/hpa-operator.json"), encoding: .utf8)
        let data = (map["data"] as? Object)?["hpa-operator.json"] as? String
        #expect(data?.trimmingCharacters(in: .whitespacesAndNewlines) == file.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    // MARK: The chart's defaults are config/default

    @Test func theDefaultsRenderWhatConfigDefaultInstalls() async throws {
        let chart = try await Self.objects()
        let kustomized = try await ConfigTests.render("config/default")
        // RBAC: every Role, ClusterRole and binding, by kind and name, with the same rules, roleRef and subjects.
        for kind in ["ClusterRole", "Role", "ClusterRoleBinding", "RoleBinding", "ServiceAccount"] {
            let mine = ConfigTests.kind(chart, kind)
            let theirs = ConfigTests.kind(kustomized, kind)
            #expect(Set(mine.map { "\(ConfigTests.namespace($0) ?? "")/\(ConfigTests.name($0))" }) == Set(theirs.map { "\(ConfigTests.namespace($0) ?? "")/\(ConfigTests.name($0))" }), "\(kind)")
            for object in theirs {
                let other = mine.first { ConfigTests.name($0) == ConfigTests.name(object) && ConfigTests.namespace($0) == ConfigTests.namespace(object) }
                for key in ["rules", "roleRef", "subjects"] {
                    #expect(Self.canonical(other?[key]) == Self.canonical(object[key]), "\(kind) \(ConfigTests.name(object)).\(key)")
                }
            }
        }
        // The hardened pod and its container, field by field.
        let (pod, theirPod) = (Self.podSpec(chart), Self.podSpec(kustomized))
        for key in ["securityContext", "serviceAccountName"] { #expect(Self.canonical(pod[key]) == Self.canonical(theirPod[key]), "pod \(key)") }
        let (container, theirs) = (Self.container(chart), Self.container(kustomized))
        for key in ["securityContext", "ports", "readinessProbe", "livenessProbe", "resources", "image", "name"] {
            #expect(Self.canonical(container[key]) == Self.canonical(theirs[key]), "container \(key)")
        }
        #expect((Self.find(chart, "Deployment")?["spec"] as? Object)?["replicas"] as? Int == (Self.find(kustomized, "Deployment")?["spec"] as? Object)?["replicas"] as? Int)
        // The same arguments, config/default's Prometheus URL filled in from its ConfigMap.
        let url = try #require((Self.find(kustomized, "ConfigMap")?["data"] as? [String: String])?["PROMETHEUS_SERVER"])
        #expect(url == "http://prometheus-server.monitoring.svc:9090", "the chart's default prometheus.server is config/default's")
        #expect(Self.args(chart) == Self.args(kustomized).map { $0.replacingOccurrences(of: "$(PROMETHEUS_SERVER)", with: url) })
        // Service, APIServices and the webhook: the same specs.
        #expect(
            Self.canonical(Self.find(chart, "Service")?["spec"].map { ($0 as? Object)?["ports"] as Any })
                == Self.canonical(Self.find(kustomized, "Service")?["spec"].map { ($0 as? Object)?["ports"] as Any }))
        for object in ConfigTests.kind(kustomized, "APIService") {
            #expect(Self.canonical(Self.find(chart, "APIService", ConfigTests.name(object))?["spec"]) == Self.canonical(object["spec"]), "\(ConfigTests.name(object))")
        }
        #expect(ConfigTests.kind(chart, "APIService").count == 3)
        #expect(Self.canonical(Self.find(chart, "ValidatingWebhookConfiguration")?["webhooks"]) == Self.canonical(Self.find(kustomized, "ValidatingWebhookConfiguration")?["webhooks"]))
    }

    // MARK: Each value changes what it should

    @Test func imageReplicasAndLeaderElection() async throws {
        let objects = try await Self.objects(["image": ["repository": "registry.example.com/hpa", "tag": "9.9", "pullPolicy": "Always"], "replicas": 3, "leaderElection": ["enabled": false]])
        #expect(Self.container(objects)["image"] as? String == "registry.example.com/hpa:9.9")
        #expect(Self.container(objects)["imagePullPolicy"] as? String == "Always")
        #expect(Self.container(objects, kind: "Pod")["image"] as? String == "registry.example.com/hpa:9.9", "helm test runs the same image")
        #expect((Self.find(objects, "Deployment")?["spec"] as? Object)?["replicas"] as? Int == 3)
        #expect(!Self.args(objects).contains("--leader-elect"))
        #expect(Self.args(objects, kind: "Pod").contains("--leader-elect-resource-name="), "check skips the Lease without leader election")
        #expect((Self.find(objects, "PodDisruptionBudget")?["spec"] as? Object)?["minAvailable"] as? Int == 1)
        #expect(Self.find(try await Self.objects(["replicas": 1]), "PodDisruptionBudget") == nil, "one replica: a PDB would block every drain")
    }

    @Test func prometheusServerAliasesAndCredentialsFromSecrets() async throws {
        let objects = try await Self.objects([
            "prometheus": [
                "server": "https://thanos.example:9090", "aliases": ["long-term": "http://mimir.example/prometheus"],
                "bearerToken": ["secretName": "prom-token", "key": "token"], "ca": ["secretName": "prom-ca", "key": "ca.pem"],
                "clientCertificate": ["secretName": "prom-client", "certKey": "tls.crt", "keyKey": "tls.key"],
            ] as [String: Any]
        ])
        let args = Self.args(objects)
        for expected in [
            "--prometheus-server=https://thanos.example:9090", "--prometheus-server-alias=long-term=http://mimir.example/prometheus",
            "--prometheus-bearer-token-file=/etc/hpa-operator/prometheus/token/token", "--prometheus-ca-file=/etc/hpa-operator/prometheus/ca/ca.pem",
            "--prometheus-client-cert=/etc/hpa-operator/prometheus/client/tls.crt", "--prometheus-client-key=/etc/hpa-operator/prometheus/client/tls.key",
        ] {
            #expect(args.contains(expected), "\(expected) in \(args)")
        }
        #expect(!args.contains { $0.hasPrefix("--prometheus-basic-auth-file") })
        let mounts = Self.container(objects)["volumeMounts"] as? [Object] ?? []
        #expect(Set(mounts.map { $0["mountPath"] as? String ?? "" }) == ["/etc/hpa-operator/prometheus/token", "/etc/hpa-operator/prometheus/ca", "/etc/hpa-operator/prometheus/client"])
        #expect(mounts.allSatisfy { $0["readOnly"] as? Bool == true })
        let volumes = Self.podSpec(objects)["volumes"] as? [Object] ?? []
        #expect(Set(volumes.compactMap { ($0["secret"] as? Object)?["secretName"] as? String }) == ["prom-token", "prom-ca", "prom-client"])
        #expect(Self.args(objects, kind: "Pod").contains("--prometheus-server=https://thanos.example:9090"))
    }

    @Test func tenancyHeadersParametersAndNamespaceEnforcement() async throws {
        let objects = try await Self.objects([
            "prometheus": ["headers": ["X-Scope-OrgID": "platform"], "queryParams": ["partial_response": "false"], "tenantHeader": "X-Tenant"] as [String: Any],
            "tenancy": ["enforceNamespaceLabel": "namespace", "exemptNamespaces": ["monitoring", "kube-system"]] as [String: Any],
        ])
        let args = Self.args(objects)
        for expected in [
            "--prometheus-header=X-Scope-OrgID:platform", "--prometheus-query-param=partial_response=false", "--prometheus-tenant-header=X-Tenant",
            "--enforce-namespace-label=namespace", "--enforce-namespace-label-exempt=monitoring,kube-system",
        ] {
            #expect(args.contains(expected), "\(expected) in \(args)")
        }
        let defaults = Self.args(try await Self.objects([:]))
        #expect(!defaults.contains { $0.hasPrefix("--enforce-namespace-label") || $0.hasPrefix("--prometheus-header") || $0.hasPrefix("--prometheus-tenant-header") })
    }

    @Test func collectionStyleLoggingAndExtraArgs() async throws {
        let objects = try await Self.objects([
            "metricStyle": "external", "defaultInterval": "15s", "queryTimeout": "5s", "metricsMaxAge": "2m",
            "maxConcurrentQueries": 16, "log": ["format": "text", "level": "debug"], "extraArgs": ["--workers=4"],
        ])
        let args = Self.args(objects)
        for expected in [
            "--metric-style=external", "--default-interval=15s", "--query-timeout=5s", "--metrics-max-age=2m",
            "--max-concurrent-queries=16", "--log-format=text", "--log-level=debug", "--workers=4",
        ] {
            #expect(args.contains(expected), "\(expected) in \(args)")
        }
        #expect(args.last == "--workers=4")
    }

    @Test func schedulingSettings() async throws {
        let objects = try await Self.objects(
            [
                "resources": ["requests": ["cpu": "100m"]], "nodeSelector": ["kubernetes.io/os": "linux"],
                "tolerations": [["key": "infra", "operator": "Exists", "effect": "NoSchedule"]],
                "affinity": [
                    "nodeAffinity": ["requiredDuringSchedulingIgnoredDuringExecution": ["nodeSelectorTerms": [["matchExpressions": [["key": "pool", "operator": "In", "values": ["infra"]]]]]]]
                ],
                "topologySpreadConstraints": [["maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone", "whenUnsatisfiable": "ScheduleAnyway"]],
                "priorityClassName": "system-cluster-critical",
            ] as [String: Any])
        let pod = Self.podSpec(objects)
        #expect((pod["nodeSelector"] as? [String: String]) == ["kubernetes.io/os": "linux"])
        #expect((pod["tolerations"] as? [Object])?.first?["key"] as? String == "infra")
        #expect((pod["affinity"] as? Object)?["nodeAffinity"] != nil)
        #expect((pod["topologySpreadConstraints"] as? [Object])?.first?["topologyKey"] as? String == "topology.kubernetes.io/zone")
        #expect(pod["priorityClassName"] as? String == "system-cluster-critical")
        // Helm merges maps with the defaults: the request changes, the default limits stay.
        #expect(Self.canonical(Self.container(objects)["resources"]) == Self.canonical(["requests": ["cpu": "100m", "memory": "64Mi"], "limits": ["cpu": "500m", "memory": "256Mi"]]))
    }

    @Test func serviceMonitorForPrometheusOperator() async throws {
        #expect(Self.find(try await Self.objects(), "ServiceMonitor") == nil)
        let monitor = try #require(Self.find(try await Self.objects(["serviceMonitor": ["enabled": true, "interval": "15s", "labels": ["release": "kube-prometheus"]]]), "ServiceMonitor"))
        let endpoint = ((monitor["spec"] as? Object)?["endpoints"] as? [Object])?.first
        #expect(endpoint?["port"] as? String == "metrics" && endpoint?["interval"] as? String == "15s")
        #expect(((monitor["metadata"] as? Object)?["labels"] as? [String: String])?["release"] == "kube-prometheus")
    }

    @Test func certManagerInsteadOfTheGeneratedCertificate() async throws {
        let objects = try await Self.objects(["certManager": ["enabled": true]])
        let args = Self.args(objects)
        #expect(args.contains("--tls-cert-file=/tls/tls.crt") && args.contains("--tls-private-key-file=/tls/tls.key"))
        #expect(!args.contains("--manage-apiservice-ca-bundle") && !args.contains { $0.hasPrefix("--tls-secret") })
        let certificate = try #require(Self.find(objects, "Certificate"))
        #expect((certificate["spec"] as? Object)?["secretName"] as? String == "hpa-operator-cert")
        #expect(Self.find(objects, "Issuer") != nil)
        for object in ConfigTests.kind(objects, "APIService") + ConfigTests.kind(objects, "ValidatingWebhookConfiguration") {
            #expect(((object["metadata"] as? Object)?["annotations"] as? [String: String])?["cert-manager.io/inject-ca-from"] == "hpa-operator-system/hpa-operator-serving-cert")
        }
        // cert-manager keeps the caBundles: the operator no longer may patch them.
        let role = try #require(Self.find(objects, "ClusterRole", "hpa-operator"))
        #expect(ConfigTests.rules(role).first { $0.resources == ["apiservices"] }?.verbs == ["get"])
        #expect(!ConfigTests.rules(role).contains { $0.resources == ["validatingwebhookconfigurations"] })
        // A given issuer replaces the self-signed one.
        let issued = try await Self.objects(["certManager": ["enabled": true, "issuerRef": ["kind": "ClusterIssuer", "name": "corp-ca"]]])
        #expect(Self.find(issued, "Issuer") == nil)
        #expect(((Self.find(issued, "Certificate")?["spec"] as? Object)?["issuerRef"] as? [String: String]) == ["kind": "ClusterIssuer", "name": "corp-ca"])
    }

    @Test func anotherAdapterKeepsOneGroup() async throws {
        let objects = try await Self.objects(["apiServices": ["externalMetricsV1beta1": false]])
        #expect(Set(ConfigTests.kind(objects, "APIService").map(ConfigTests.name)) == ["v1beta1.custom.metrics.k8s.io", "v1beta2.custom.metrics.k8s.io"])
        #expect(Self.args(objects).filter { $0.hasPrefix("--apiservice=") } == ["--apiservice=v1beta1.custom.metrics.k8s.io", "--apiservice=v1beta2.custom.metrics.k8s.io"])
        let role = try #require(Self.find(objects, "ClusterRole", "hpa-operator"))
        #expect(ConfigTests.rules(role).first { $0.resources == ["apiservices"] }?.names == ["v1beta1.custom.metrics.k8s.io", "v1beta2.custom.metrics.k8s.io"])
        #expect(Self.args(objects, kind: "Pod").filter { $0.hasPrefix("--apiservice=") }.count == 2)
    }

    @Test func theAdmissionWebhookCanBeOffOrRefusing() async throws {
        let off = try await Self.objects(["admissionWebhook": ["enabled": false]])
        #expect(Self.find(off, "ValidatingWebhookConfiguration") == nil && !Self.args(off).contains("--admission-webhook"))
        #expect(!ConfigTests.rules(try #require(Self.find(off, "ClusterRole", "hpa-operator"))).contains { $0.resources == ["validatingwebhookconfigurations"] })
        #expect(Self.args(try await Self.objects(["admissionWebhook": ["denyInvalid": true]])).contains("--admission-deny-invalid"))
    }

    @Test func anotherReleaseNameNamesEverythingAfterIt() async throws {
        let objects = try await Self.objects(release: "platform", namespace: "autoscaling")
        let args = Self.args(objects)
        for expected in [
            "--leader-elect-resource-name=platform-hpa-operator", "--tls-secret=platform-hpa-operator-serving", "--admission-webhook-configuration=platform-hpa-operator",
            "--tls-san=platform-hpa-operator.autoscaling.svc",
        ] {
            #expect(args.contains(expected), "\(expected) in \(args)")
        }
        #expect(Self.find(objects, "ValidatingWebhookConfiguration", "platform-hpa-operator") != nil)
        let service = ((Self.find(objects, "APIService")?["spec"] as? Object)?["service"] as? [String: Any])
        #expect(service?["name"] as? String == "platform-hpa-operator" && service?["namespace"] as? String == "autoscaling")
        let excluded =
            (((Self.find(objects, "ValidatingWebhookConfiguration")?["webhooks"] as? [Object])?.first?["namespaceSelector"] as? Object)?["matchExpressions"] as? [Object])?.first?["values"]
            as? [String]
        #expect(excluded == ["kube-system", "autoscaling"])
        #expect(Self.args(objects, kind: "Pod").contains("--leader-elect-resource-name=platform-hpa-operator"))
        // The Role reads and writes the Lease the operator is told, by that name only.
        let role = try #require(Self.find(objects, "Role", "platform-hpa-operator"))
        #expect(ConfigTests.rules(role).first { $0.resources == ["leases"] && $0.verbs == ["get", "update"] }?.names == ["platform-hpa-operator"])
    }

    // MARK: Lint and schema

    /// Values as JSON text (test arguments must be Sendable).
    static func values(_ json: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [String: Any] ?? [:]
    }

    @Test(arguments: [
        #"{}"#,
        #"{"certManager": {"enabled": true}, "serviceMonitor": {"enabled": true}}"#,
        #"{"admissionWebhook": {"enabled": false}, "leaderElection": {"enabled": false}, "replicas": 1}"#,
        #"{"apiServices": {"customMetricsV1beta1": false, "customMetricsV1beta2": false}, "metricStyle": "external", "prometheus": {"server": ""}}"#,
        #"{"prometheus": {"basicAuth": {"secretName": "auth", "key": "auth"}, "aliases": {"b": "http://b:9090"}}, "extraArgs": ["--workers=4"]}"#,
        #"{"prometheus": {"headers": {"X-Scope-OrgID": "a"}, "queryParams": {"dedup": "true"}, "tenantHeader": "X-Tenant"}, "tenancy": {"enforceNamespaceLabel": "namespace", "exemptNamespaces": ["monitoring"]}}"#,
    ])
    func lintsStrictWithoutWarnings(values: String) async throws {
        let messages = try await HelmSDK.lint(Self.values(values))
        // Severity 1 is information ("icon is recommended"); 2 warnings, 3 errors.
        #expect(messages.filter { $0.severity >= 2 }.isEmpty, "\(messages)")
    }

    @Test(arguments: [
        (#"{"replicas": "two"}"#, "at '/replicas': got string, want integer"),
        (#"{"replica": 2}"#, "additional properties 'replica' not allowed"),
        (#"{"metricStyle": "pods"}"#, "at '/metricStyle'"),
        (#"{"prometheus": {"server": "prometheus:9090"}}"#, "at '/prometheus/server'"),
        (#"{"prometheus": {"bearerToken": {"secret": "x"}}}"#, "additional properties 'secret' not allowed"),
        (#"{"extraArgs": ["leader-elect"]}"#, "at '/extraArgs/0'"),
        (#"{"defaultInterval": "30 seconds"}"#, "at '/defaultInterval'"),
        (#"{"log": {"level": "verbose"}}"#, "at '/log/level'"),
        (#"{"tenancy": {"enforceNamespaceLabel": "name-space"}}"#, "at '/tenancy/enforceNamespaceLabel'"),
        (#"{"prometheus": {"queryParams": {"query": "up"}}}"#, "invalid propertyName 'query'"),
        (#"{"prometheus": {"headers": {"Bad Header": "x"}}}"#, "invalid propertyName 'Bad Header'"),
    ])
    func theSchemaRefusesBadValuesSayingWhere(values: String, message: String) async throws {
        do {
            _ = try await HelmSDK.render(Self.values(values))
            Issue.record("Helm rendered \(values)")
        } catch let refusal as HelmSDK.Refusal {
            #expect(refusal.description.contains(message), "\(refusal)")
        }
    }

    @Test func notesSayHowToCheckAndAnnotate() async throws {
        let notes = try #require(try await HelmSDK.render().first { $0.key.hasSuffix("NOTES.txt") }?.value)
        #expect(notes.contains("helm test hpa-operator -n hpa-operator-system"))
        #expect(notes.contains("hpa-operator check --operator-namespace hpa-operator-system"))
        #expect(notes.contains("prometheus.rps.hpa.autoscaling.banzaicloud.io/query"))
        #expect(try await HelmSDK.render(["prometheus": ["server": ""]]).first { $0.key.hasSuffix("NOTES.txt") }?.value.contains("WARNING: prometheus.server is empty") == true)
    }
}
