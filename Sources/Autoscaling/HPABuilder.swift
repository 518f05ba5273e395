import KubeModel

/// Turns an `AutoscalingSpec` into the exact HPA the operator writes (README, "The generated HPA").
public enum HPABuilder {
    /// Problems a spec has only in a given style; `build` expects none.
    public static func problems(_ spec: AutoscalingSpec, style: MetricStyle) -> [AnnotationProblem] {
        if style == .objectOnWorkloadPod, spec.scaleToZero?.native == true {
            // That style divides an AverageValue metric by the replicas itself: at 0 it has no value.
            let perReplica = spec.prometheusMetrics.filter { if case .averageValue = $0.target { true } else { false } }
            if !perReplica.isEmpty {
                return perReplica.map {
                    .error(
                        AnnotationKeys.prometheus($0.name, .targetAverageValue),
                        "with \(AnnotationKeys.scaleToZero) native and --metric-style pod, a per-replica target has no value at 0 replicas and could never wake the workload: use targetValue, or the object or external style"
                    )
                }
            }
        }
        guard style == .external else { return [] }
        // The Banzai external form keeps all queries under one metric config, whose keys are the
        // metric names and whose interval and server are shared.
        var problems: [AnnotationProblem] = []
        for metric in spec.prometheusMetrics where MetricConfigKey.reservedKeys.contains(metric.name) {
            problems.append(
                .error(
                    AnnotationKeys.prometheus(metric.name, .query),
                    "a metric cannot be named '\(metric.name)' with --metric-style external: kube-metrics-adapter reserves that key"))
        }
        for (field, value) in [(AnnotationKeys.PrometheusField.interval, \PrometheusMetric.interval), (.server, \PrometheusMetric.server)] {
            // Set, absent, or set differently: all must agree.
            guard Set(spec.prometheusMetrics.map { $0[keyPath: value] }).count > 1 else { continue }
            for metric in spec.prometheusMetrics where metric[keyPath: value] != nil {
                problems.append(
                    .error(
                        AnnotationKeys.prometheus(metric.name, field),
                        "with --metric-style external every prometheus metric of a workload must have the same \(field.rawValue)"))
            }
        }
        return problems
    }

    public static func build(_ spec: AutoscalingSpec, for workload: WorkloadReference, style: MetricStyle) -> HorizontalPodAutoscaler {
        var annotations: [String: String] = [:]
        var metrics = spec.resourceMetrics.map(resourceMetric)
        for metric in spec.prometheusMetrics {
            metrics.append(prometheusMetric(metric, workload: workload, style: style, annotations: &annotations))
        }
        for metric in spec.alertMetrics {
            metrics.append(alertMetric(metric, workload: workload, annotations: &annotations))
        }
        // The collector of every replica serves the fallback, so the HPA carries it.
        if let fallback = spec.fallback, !spec.prometheusMetrics.isEmpty || !spec.alertMetrics.isEmpty {
            annotations[OperatorAnnotations.fallbackReplicas] = String(fallback.replicas)
            if let after = fallback.after { annotations[OperatorAnnotations.fallbackAfter] = after }
        }
        let owner = workload.uid.map {
            OwnerReference(
                apiVersion: WorkloadReference.apiVersion, kind: workload.kind, name: workload.name, uid: $0,
                controller: true, blockOwnerDeletion: true)
        }
        let metadata = ObjectMeta(
            name: workload.name, namespace: workload.namespace,
            labels: [AnnotationKeys.managedByLabel: AnnotationKeys.managedByValue],
            annotations: annotations.isEmpty ? nil : annotations,
            ownerReferences: owner.map { [$0] })
        let scaleTarget = CrossVersionObjectReference(apiVersion: WorkloadReference.apiVersion, kind: workload.kind, name: workload.name)
        // Zero is the operator's to set (HPAScaleToZero is alpha): the HPA's floor is 1, unless
        // the user asked for the HPA controller's own scale to zero.
        var bounds = (min: spec.scaleToZero?.native == true ? 0 : max(spec.minReplicas, 1), max: spec.maxReplicas)
        if let held = spec.hold.replicas {
            // The HPA controller moves a workload outside its bounds to them at once.
            bounds = (max(held, 1), max(held, 1))
        }
        return HorizontalPodAutoscaler(
            metadata: metadata,
            spec: HorizontalPodAutoscalerSpec(
                scaleTargetRef: scaleTarget, minReplicas: bounds.min, maxReplicas: bounds.max,
                metrics: metrics, behavior: behavior(spec.behavior, hold: spec.hold)))
    }

    /// `behavior` with the directions the hold freezes disabled.
    static func behavior(_ behavior: HorizontalPodAutoscalerBehavior?, hold: Hold) -> HorizontalPodAutoscalerBehavior? {
        let (up, down) = (hold.paused || hold.scaleUpDisabled, hold.paused || hold.scaleDownDisabled)
        guard up || down else { return behavior }
        var held = behavior ?? HorizontalPodAutoscalerBehavior()
        if up {
            held.scaleUp = held.scaleUp ?? HPAScalingRules()
            held.scaleUp!.selectPolicy = "Disabled"
        }
        if down {
            held.scaleDown = held.scaleDown ?? HPAScalingRules()
            held.scaleDown!.selectPolicy = "Disabled"
        }
        return held
    }

    private static func resourceMetric(_ metric: ResourceMetric) -> MetricSpec {
        let target: MetricTarget =
            switch metric.target {
            case .utilization(let percent): .utilization(percent)
            case .averageValue(let quantity): .averageValue(quantity)
            }
        if let container = metric.container {
            return MetricSpec(containerResource: ContainerResourceMetricSource(name: metric.name, container: container, target: target))
        }
        return MetricSpec(resource: ResourceMetricSource(name: metric.name, target: target))
    }

    private static func target(_ target: PrometheusMetric.Target) -> MetricTarget {
        switch target {
        case .value(let quantity): .value(quantity)
        case .averageValue(let quantity): .averageValue(quantity)
        }
    }

    /// An External metric of the workload's own (its label in the selector), filled by the
    /// collector from the alerts the metric config names.
    private static func alertMetric(_ metric: AlertMetric, workload: WorkloadReference, annotations: inout [String: String]) -> MetricSpec {
        func set(_ key: String, _ value: String) {
            annotations[MetricConfigKey(type: .external, metric: metric.name, collector: MetricConfigKey.alertmanagerCollector, key: key).description] = value
        }
        set(MetricConfigKey.alertname, metric.alertname)
        set(MetricConfigKey.workloadLabel, metric.workloadLabel ?? AlertMetric.defaultWorkloadLabel(kind: workload.kind))
        if !metric.matchLabels.isEmpty {
            var writer = JSONWriter()
            writer.map(metric.matchLabels)
            set(MetricConfigKey.matchLabels, String(decoding: writer.bytes, as: UTF8.self))
        }
        let selector = LabelSelector(matchLabels: [ExternalQuery.workloadLabel: ExternalQuery.workloadValue(workload.name)])
        return MetricSpec(external: ExternalMetricSource(metric: MetricIdentifier(name: metric.name, selector: selector), target: target(metric.target)))
    }

    private static func prometheusMetric(
        _ metric: PrometheusMetric, workload: WorkloadReference, style: MetricStyle, annotations: inout [String: String]
    ) -> MetricSpec {
        var target = target(metric.target)
        func set(_ type: MetricConfigKey.MetricType, _ name: String, _ key: String, _ value: String?) {
            if let value { annotations[MetricConfigKey(type: type, metric: name, key: key).description] = value }
        }
        switch style {
        case .object, .objectOnWorkloadPod:
            set(.object, metric.name, MetricConfigKey.query, metric.query)
            set(.object, metric.name, MetricConfigKey.interval, metric.interval)
            set(.object, metric.name, MetricConfigKey.prometheusServer, metric.server)
            var described = CrossVersionObjectReference(apiVersion: WorkloadReference.apiVersion, kind: workload.kind, name: workload.name)
            if style == .objectOnWorkloadPod {
                described = CrossVersionObjectReference(apiVersion: "v1", kind: "Pod", name: "\(workload.name)-\(metric.name)")
                if case .averageValue(let quantity) = metric.target {
                    // kube-metrics-adapter divides by the replica count itself.
                    target = .value(quantity)
                    set(.object, metric.name, MetricConfigKey.perReplica, "true")
                }
            }
            return MetricSpec(object: ObjectMetricSource(describedObject: described, metric: MetricIdentifier(name: metric.name), target: target))
        case .external:
            let shared = ExternalQuery.metricName
            set(.external, shared, metric.name, metric.query)
            set(.external, shared, MetricConfigKey.interval, metric.interval)
            set(.external, shared, MetricConfigKey.prometheusServer, metric.server)
            // The workload's own label: another workload's metric of the same name is another value.
            let selector = LabelSelector(matchLabels: [ExternalQuery.selectorLabel: metric.name, ExternalQuery.workloadLabel: ExternalQuery.workloadValue(workload.name)])
            return MetricSpec(external: ExternalMetricSource(metric: MetricIdentifier(name: shared, selector: selector), target: target))
        }
    }
}
