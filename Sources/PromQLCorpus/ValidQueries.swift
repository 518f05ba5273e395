/// Real-world PromQL, one query a line: autoscaling annotations, dashboard panels (node exporter,
/// kube-state-metrics, cAdvisor, ingress), recording and alerting rules, and the grammar's corners.
/// Every line is accepted by Prometheus 2.42 (a test checks it against the real one).
public enum PromQLCorpus {
    public static var valid: [String] {
        (lines + "\n" + grammar).split(separator: "\n").map(String.init).filter { !$0.isEmpty } + multiline
    }

    static let lines = #"""
        sum(rate(http_requests_total{app="shop"}[2m]))
        sum(rate(http_requests_total{namespace="shop",app="frontend"}[1m])) / sum(kube_deployment_status_replicas{deployment="frontend"})
        sum(rate(nginx_ingress_controller_requests{ingress="shop"}[2m]))
        avg(rate(container_cpu_usage_seconds_total{pod=~"shop-.*",container!=""}[5m]))
        sum(kafka_consumergroup_lag{consumergroup="orders",topic="orders"})
        max(rabbitmq_queue_messages_ready{queue="jobs"})
        sum(rate(grpc_server_handled_total{grpc_service="shop.Cart"}[1m]))
        histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{app="shop"}[5m])))
        histogram_quantile(0.99, sum(rate(http_request_duration_seconds_bucket[5m])) by (le, service))
        histogram_quantile(0.5, sum by (le, route) (rate(request_latency_bucket{job="api"}[10m])))
        sum(rate(http_requests_total{status=~"5.."}[5m])) / sum(rate(http_requests_total[5m]))
        sum by (job) (rate(http_requests_total{code=~"5.."}[5m])) / sum by (job) (rate(http_requests_total[5m])) > 0.05
        sum(irate(node_network_receive_bytes_total{device!~"lo|veth.*"}[5m]))
        1 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}[5m]))
        100 * (1 - avg by (instance) (irate(node_cpu_seconds_total{mode="idle"}[5m])))
        node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes * 100
        (node_memory_MemTotal_bytes - node_memory_MemAvailable_bytes) / node_memory_MemTotal_bytes
        node_filesystem_avail_bytes{fstype!~"tmpfs|overlay"} / node_filesystem_size_bytes{fstype!~"tmpfs|overlay"} < 0.1
        predict_linear(node_filesystem_free_bytes{job="node"}[6h], 4 * 3600) < 0
        predict_linear(node_filesystem_avail_bytes{fstype!=""}[6h], 24 * 60 * 60) < 0 and node_filesystem_readonly == 0
        rate(node_disk_io_time_seconds_total[5m])
        rate(node_disk_read_bytes_total[1m]) + rate(node_disk_written_bytes_total[1m])
        node_load1 / count without (cpu, mode) (node_cpu_seconds_total{mode="idle"})
        count by (instance) (node_cpu_seconds_total{mode="system"})
        sum by (namespace) (kube_pod_container_resource_requests{resource="cpu"})
        sum by (namespace, pod) (container_memory_working_set_bytes{container!="", image!=""})
        sum(container_memory_working_set_bytes{namespace="shop"}) by (pod)
        sum by (pod) (rate(container_cpu_cfs_throttled_periods_total[5m])) / sum by (pod) (rate(container_cpu_cfs_periods_total[5m]))
        kube_deployment_spec_replicas != kube_deployment_status_replicas_available
        kube_deployment_status_observed_generation != kube_deployment_metadata_generation
        kube_statefulset_status_replicas_ready != kube_statefulset_status_replicas
        kube_pod_container_status_restarts_total > 5
        increase(kube_pod_container_status_restarts_total[1h]) > 3
        rate(kube_pod_container_status_restarts_total[15m]) * 60 * 5 > 0
        sum by (namespace, pod) (max by (namespace, pod) (kube_pod_status_phase{phase=~"Pending|Unknown"})) > 0
        kube_horizontalpodautoscaler_status_current_replicas == kube_horizontalpodautoscaler_spec_max_replicas
        kube_hpa_status_desired_replicas != kube_hpa_status_current_replicas
        kube_job_status_failed > 0
        time() - kube_cronjob_next_schedule_time > 3600
        kube_node_status_condition{condition="Ready",status="true"} == 0
        sum(kube_node_status_allocatable{resource="cpu"}) - sum(kube_pod_container_resource_requests{resource="cpu"})
        sum(kube_pod_container_resource_requests{resource="memory"}) / sum(kube_node_status_allocatable{resource="memory"})
        kube_persistentvolumeclaim_status_phase{phase="Lost"} == 1
        kubelet_volume_stats_available_bytes / kubelet_volume_stats_capacity_bytes < 0.03
        up == 0
        up{job="kubernetes-apiservers"} == 0
        absent(up{job="kube-scheduler"} == 1)
        absent(kube_deployment_status_replicas{deployment="shop"})
        absent_over_time(up{job="node"}[10m])
        count(up == 1) by (job)
        sum by (job) (up) / count by (job) (up)
        avg_over_time(up[1d])
        max_over_time(process_resident_memory_bytes[1h])
        min_over_time(probe_success[5m]) == 0
        probe_ssl_earliest_cert_expiry - time() < 86400 * 14
        (probe_ssl_earliest_cert_expiry - time()) / 86400
        probe_http_status_code{job="blackbox"} >= 400
        rate(process_cpu_seconds_total[1m])
        process_open_fds / process_max_fds > 0.8
        go_goroutines{job="api"} > 10000
        rate(go_gc_duration_seconds_sum[5m]) / rate(go_gc_duration_seconds_count[5m])
        go_memstats_heap_inuse_bytes / go_memstats_heap_sys_bytes
        rate(prometheus_tsdb_head_samples_appended_total[5m])
        prometheus_tsdb_head_series > 2e6
        rate(prometheus_rule_evaluation_failures_total[5m]) > 0
        increase(prometheus_tsdb_compactions_failed_total[3h]) > 0
        prometheus_config_last_reload_successful == 0
        time() - prometheus_config_last_reload_success_timestamp_seconds > 86400
        rate(prometheus_notifications_errors_total[5m]) / rate(prometheus_notifications_sent_total[5m]) > 0.01
        prometheus_notifications_queue_length / prometheus_notifications_queue_capacity > 0.5
        alertmanager_cluster_members != on (service) group_left () count by (service) (alertmanager_cluster_members)
        rate(alertmanager_notifications_failed_total[5m]) > 0
        sum(rate(apiserver_request_total{code=~"5.."}[5m])) / sum(rate(apiserver_request_total[5m]))
        histogram_quantile(0.99, sum by (verb, le) (rate(apiserver_request_duration_seconds_bucket{verb!~"WATCH|CONNECT"}[5m])))
        sum by (resource) (apiserver_storage_objects)
        rate(etcd_server_proposals_failed_total[15m]) > 5
        histogram_quantile(0.99, rate(etcd_disk_wal_fsync_duration_seconds_bucket[5m])) > 0.5
        etcd_server_has_leader == 0
        increase(etcd_server_leader_changes_seen_total[1h]) > 3
        sum(rate(coredns_dns_requests_total[5m])) by (type)
        histogram_quantile(0.99, sum(rate(coredns_dns_request_duration_seconds_bucket[5m])) by (server, zone, le))
        sum(rate(nginx_ingress_controller_requests{status=~"5.*"}[2m])) by (ingress) / sum(rate(nginx_ingress_controller_requests[2m])) by (ingress)
        histogram_quantile(0.9, sum(rate(nginx_ingress_controller_request_duration_seconds_bucket{ingress!=""}[2m])) by (le, ingress))
        sum(rate(traefik_service_requests_total{service=~"shop.*"}[1m]))
        sum(rate(envoy_cluster_upstream_rq_total{envoy_cluster_name="shop"}[1m]))
        sum(rate(istio_requests_total{reporter="destination",destination_workload="shop"}[1m]))
        sum(irate(istio_requests_total{reporter="destination",response_code!~"5.*"}[1m])) / sum(irate(istio_requests_total{reporter="destination"}[1m]))
        histogram_quantile(0.95, sum(irate(istio_request_duration_milliseconds_bucket{reporter="source"}[1m])) by (le, destination_service))
        sum(rate(linkerd_request_total{direction="inbound",deployment="shop"}[30s]))
        sum(redis_connected_clients{service="cache"})
        redis_memory_used_bytes / redis_memory_max_bytes > 0.9
        rate(redis_commands_processed_total[1m])
        pg_stat_activity_count{state="active"} > 100
        rate(pg_stat_database_xact_commit{datname="shop"}[5m]) + rate(pg_stat_database_xact_rollback{datname="shop"}[5m])
        mysql_global_status_threads_connected / mysql_global_variables_max_connections > 0.8
        rate(mysql_global_status_slow_queries[5m])
        sum(kafka_consumergroup_lag) by (consumergroup, topic) > 1000
        sum(rate(kafka_server_brokertopicmetrics_messagesin_total[5m])) by (topic)
        rabbitmq_queue_messages{queue=~"orders|payments"}
        sum(rabbitmq_queue_messages_unacked) by (queue)
        sum(aws_sqs_approximate_number_of_messages_visible_average{queue_name="jobs"})
        sum(stackdriver_pubsub_subscription_pubsub_googleapis_com_subscription_num_undelivered_messages{subscription_id="jobs"})
        sum(celery_tasks_pending{queue="default"})
        sum(sidekiq_queue_size{queue="default"}) / count(sidekiq_processes)
        sum(jvm_memory_bytes_used{area="heap"}) by (pod) / sum(jvm_memory_bytes_max{area="heap"}) by (pod)
        sum(rate(jvm_gc_collection_seconds_sum[5m])) by (pod)
        sum(tomcat_threads_busy_threads) by (pod)
        sum(rate(http_server_requests_seconds_count{uri!~"/actuator.*"}[1m]))
        sum(rate(http_server_requests_seconds_sum[1m])) / sum(rate(http_server_requests_seconds_count[1m]))
        sum(rate(django_http_requests_total_by_view_transport_method_total[1m]))
        sum(rate(flask_http_request_total[1m])) by (status)
        sum(rate(rails_requests_total{controller="orders"}[1m]))
        sum(phpfpm_active_processes) / sum(phpfpm_total_processes)
        sum(nodejs_active_handles_total) by (pod)
        avg(nodejs_eventloop_lag_seconds) by (pod)
        sum(rate(haproxy_backend_http_responses_total{code="5xx"}[1m])) by (backend)
        haproxy_backend_current_queue > 10
        sum(rate(varnish_main_client_req[1m]))
        sum(elasticsearch_thread_pool_queue_count{type="search"})
        elasticsearch_cluster_health_status{color="red"} == 1
        sum(cassandra_table_read_latency_count) by (keyspace)
        sum(mongodb_connections{state="current"})
        rate(mongodb_op_counters_total[5m])
        memcached_current_connections / memcached_max_connections
        sum(rate(minio_s3_requests_total[5m])) by (api)
        sum(rate(thanos_query_range_requested_timespan_duration_seconds_count[5m]))
        sum(rate(cortex_request_duration_seconds_count{route="api_v1_push"}[1m]))
        sum(rate(loki_distributor_bytes_received_total[1m])) by (tenant)
        sum(rate(argocd_app_sync_total{phase!="Succeeded"}[1h])) by (name)
        certmanager_certificate_expiration_timestamp_seconds - time() < 7 * 24 * 3600
        sum(rate(workqueue_adds_total{job="kube-controller-manager"}[5m])) by (name)
        sum(workqueue_depth) by (name) > 100
        histogram_quantile(0.99, sum(rate(workqueue_queue_duration_seconds_bucket[5m])) by (name, le))
        sum(rate(controller_runtime_reconcile_total{result="error"}[5m])) by (controller)
        sum(rate(rest_client_requests_total{code=~"5.."}[5m])) by (instance)
        sum by (cluster) (rate(node_cpu_seconds_total{mode!="idle"}[5m]))
        topk(10, sum by (pod) (rate(container_cpu_usage_seconds_total[5m])))
        bottomk(3, sum by (instance) (node_memory_MemAvailable_bytes))
        topk(5, max by (namespace, pod) (container_memory_working_set_bytes))
        topk by (namespace) (3, sum by (namespace, pod) (rate(container_network_receive_bytes_total[5m])))
        quantile(0.9, rate(http_requests_total[5m]))
        quantile by (job) (0.5, rate(http_requests_total[5m]))
        count_values("version", build_info)
        count by (version) (kubernetes_build_info)
        count_values without (instance) ("config_hash", alertmanager_config_hash)
        stddev(rate(http_requests_total[5m]))
        stdvar by (job) (rate(http_requests_total[5m]))
        group by (namespace) (kube_pod_info)
        group(up)
        avg without (instance, pod) (rate(http_requests_total[5m]))
        max without (cpu) (rate(node_cpu_seconds_total[1m]))
        min by (device) (node_filesystem_avail_bytes)
        sum(rate(http_requests_total[5m] offset 1w))
        sum(rate(http_requests_total[5m])) / sum(rate(http_requests_total[5m] offset 1w))
        rate(http_requests_total[5m]) - rate(http_requests_total[5m] offset 1d)
        http_requests_total offset 5m
        http_requests_total offset -5m
        http_requests_total @ 1609746000
        http_requests_total @ 1609746000.5 offset 1h
        rate(http_requests_total[5m] @ 1609746000)
        rate(http_requests_total[5m] offset 1h @ end())
        sum_over_time(up[1h] @ start())
        max_over_time(rate(http_requests_total[1m])[1h:1m])
        max_over_time(rate(http_requests_total[1m])[1h:])
        avg_over_time(sum(rate(http_requests_total[5m]))[1d:5m])
        min_over_time((sum(rate(http_requests_total[1m])) by (job))[30m:1m] offset 1h)
        rate(http_requests_total[5m])[30m:1m] @ end()
        quantile_over_time(0.95, sum(rate(http_requests_total[1m]))[1h:1m])
        deriv(sum(process_resident_memory_bytes)[30m:1m])
        changes(kube_pod_container_status_restarts_total[1h])
        resets(http_requests_total[1h])
        delta(cpu_temp_celsius{host="zeus"}[2h])
        idelta(node_cpu_seconds_total[5m])
        irate(http_requests_total{job="api-server"}[5m])
        increase(http_requests_total{job="api-server"}[5m])
        last_over_time(kube_pod_info[5m])
        present_over_time(up[5m])
        count_over_time(up[1h])
        stddev_over_time(node_load1[1h])
        stdvar_over_time(node_load1[1h])
        holt_winters(node_load5[1h], 0.5, 0.5)
        timestamp(up)
        time() - timestamp(up)
        time() - process_start_time_seconds
        vector(1)
        vector(time())
        scalar(sum(up))
        sum(up) > bool 0
        up > bool 0
        scalar(count(up)) * 2
        pi() * 2
        abs(delta(node_hwmon_temp_celsius[10m]))
        ceil(node_load1)
        floor(avg(rate(http_requests_total[5m])))
        round(rate(http_requests_total[5m]), 0.1)
        round(node_load15)
        sqrt(sum(rate(http_requests_total[5m])))
        exp(vector(1))
        ln(node_load1 + 1)
        log2(node_memory_MemTotal_bytes)
        log10(rate(http_requests_total[5m]) + 1)
        clamp_min(sum(rate(http_requests_total[1m])), 1)
        clamp_max(node_load1, 10)
        clamp(sum(rate(queue_depth[1m])), 0, 1000)
        sgn(delta(queue_depth[5m]))
        sort(sum by (job) (up))
        sort_desc(sum by (pod) (container_memory_working_set_bytes))
        deg(vector(1) atan2 vector(1))
        rad(vector(90))
        sin(vector(time()))
        cos(vector(pi()))
        tan(node_load1)
        asin(vector(0.5)) + acos(vector(0.5)) + atan(vector(0.5))
        sinh(up) + cosh(up) + tanh(up)
        asinh(up) + acosh(up + 1) + atanh(up / 2)
        day_of_week()
        day_of_month(timestamp(up))
        day_of_year()
        days_in_month()
        hour() >= 8 and hour() < 18
        minute(vector(time()))
        month() == 12
        year(timestamp(up))
        label_replace(up, "host", "$1", "instance", "(.*):.*")
        label_replace(kube_pod_info, "node_name", "$1", "node", "(.+)")
        label_join(up, "foo", ",", "job", "instance")
        label_join(kube_pod_labels, "app", "-", "label_app", "label_component", "label_tier")
        sum(label_replace(rate(container_cpu_usage_seconds_total[5m]), "pod", "$1", "pod_name", "(.*)")) by (pod)
        sum by (namespace) (kube_pod_info) * on (namespace) group_left (label_team) kube_namespace_labels
        sum(container_memory_working_set_bytes) by (pod) * on (pod) group_left (node) kube_pod_info
        node_cpu_seconds_total * on (instance) group_left (nodename) node_uname_info
        kube_pod_owner * on (pod) group_right (owner_name) kube_pod_info
        rate(http_requests_total[5m]) / ignoring (code) group_left sum without (code) (rate(http_requests_total[5m]))
        method_code:http_errors:rate5m{code="500"} / ignoring (code) method:http_requests:rate5m
        method_code:http_errors:rate5m / ignoring (code) group_left method:http_requests:rate5m
        up * on () group_left () vector(1)
        up and on (instance) node_uname_info
        up unless on (job) (up == 0)
        up or vector(0)
        sum(rate(http_requests_total[5m])) or vector(0)
        (sum(rate(http_requests_total[5m])) or vector(0)) + 1
        up{job="a"} or up{job="b"} and up{job="c"}
        up == 1 unless up{env="dev"}
        kube_pod_info unless on (pod) kube_pod_status_ready{condition="true"}
        max(kube_deployment_status_replicas) by (deployment) > on (deployment) group_left max(kube_deployment_spec_replicas) by (deployment)
        sum by (job) (rate(http_requests_total[5m])) > on (job) 10 * sum by (job) (rate(http_requests_total[5m] offset 1h))
        2 ^ 3 ^ 2
        -2 ^ 2
        (-2) ^ 2
        2 * 3 + 4
        2 * (3 + 4)
        10 - 5 - 2
        10 - (5 - 2)
        100 / 10 / 2
        7 % 3
        up % 2 == 1
        -up
        +up
        - rate(http_requests_total[5m])
        -(up + 1)
        1 + -1
        1 - -up
        up atan2 up
        1 atan2 2
        {__name__="up"}
        {__name__=~"http_.*_total"}
        {__name__=~"node_cpu.*", mode="idle"}
        {job="api"}
        {job=~"api|web", instance!=""}
        {__name__="http_requests_total", job="api"}[5m]
        count({__name__=~".+"}) by (__name__)
        topk(10, count by (__name__) ({__name__=~".+"}))
        sum({__name__=~"kube_.*_created"}) by (__name__)
        http_requests_total{job=~".+"}
        http_requests_total{job!~"test.*"}
        http_requests_total{path=~"/api/v[0-9]+/.*"}
        http_requests_total{path=~"\\/api\\/.*"}
        http_requests_total{le="+Inf"}
        http_requests_total{instance=~"10\\.0\\.0\\.[0-9]+:9100"}
        job:http_requests:rate5m
        instance:node_cpu_utilisation:rate1m
        namespace_pod:container_cpu_usage_seconds_total:sum_rate
        cluster:namespace:pod_memory:active:kube_pod_container_resource_requests
        sum(namespace_workload_pod:kube_pod_owner:relabel{workload_type="deployment"}) by (namespace)
        sum by (namespace) (namespace_cpu:kube_pod_container_resource_requests:sum)
        :node_memory_MemAvailable_bytes:sum
        rate(http_requests_total[1m30s])
        rate(http_requests_total[1h30m])
        rate(http_requests_total[90s])
        increase(http_requests_total[1d])
        increase(http_requests_total[2w])
        avg_over_time(up[1y])
        rate(http_requests_total[500ms])
        rate(http_requests_total[5m5s])
        max_over_time(up[1d12h])
        sum(rate(http_requests_total[5m])) by (job,)
        sum without (instance,) (up)
        up{job="api",}
        1e3
        1E-3
        .5
        5.
        0x1f
        0X1F
        010
        1e+3
        Inf
        -Inf
        +Inf
        NaN
        inf
        nan
        1 + Inf
        vector(NaN)
        up > Inf
        "a string"
        'single quoted'
        `raw \s string`
        "tab\there"
        "unicode \u00e9 \U0001F600"
        "octal \101 and hex \x41"
        'it\'s'
        "say \"hi\""
        label_replace(up, "a", "\\1", "b", "(.*)")
        count_values("le", http_request_duration_seconds_bucket)
        sum(rate(http_requests_total[5m])) BY (job)
        SUM(rate(http_requests_total[5m]))
        sum(up) WITHOUT (instance)
        up AND up
        up OR up
        up > BOOL 1
        up OFFSET 5m
        up * ON (job) GROUP_LEFT up
        sum(rate(http_requests_total{app="shop"}[2m])) / on () group_left () sum(kube_deployment_status_replicas{deployment="shop"})
        sum(rate(http_requests_total{app="shop"}[2m])) > bool on () 100
        (sum(up) by (job) > 0) * 1
        avg by (instance) (irate(node_cpu_seconds_total{mode!="idle"}[1m])) * 100 > 80
        sum(container_memory_usage_bytes{container="POD"} offset 1h) by (pod)
        max by (namespace, pod) (kube_pod_status_ready{condition="false"}) == 1
        sum by (instance) (rate(node_network_transmit_errs_total[2m])) / sum by (instance) (rate(node_network_transmit_packets_total[2m])) > 0.01
        node_timex_offset_seconds > 0.05 and deriv(node_timex_offset_seconds[5m]) >= 0
        node_textfile_scrape_error != 0
        (node_filesystem_files_free / node_filesystem_files) * 100 < 5
        rate(node_vmstat_pgmajfault[1m]) > 500
        node_nf_conntrack_entries / node_nf_conntrack_entries_limit > 0.75
        sum(increase(node_network_receive_drop_total[5m])) by (instance, device) > 0
        max(max_over_time(node_md_disks{state="failed"}[5m])) by (device) > 0
        count by (cpu) (node_cpu_seconds_total{mode="idle"}) - 1
        sum(rate(http_requests_total[5m])) by (le) * 0 + 1
        histogram_fraction(0, 0.2, rate(http_request_duration_seconds[5m]))
        histogram_count(rate(http_request_duration_seconds[5m]))
        histogram_sum(rate(http_request_duration_seconds[5m]))
        sum(increase(http_requests_total[1h:5m]))
        rate(http_requests_total[5m:30s])
        sum(rate(http_requests_total[5m])) by (job) and on (job) sum(up) by (job) > 0
        max(up) by (job) unless on (job) max(up{env="prod"}) by (job)
        max without (instance) (up) or max without (instance) (up offset 1d)
        sum(http_requests_total{job="api"} - http_requests_total{job="api"} offset 1h)
        abs(sum(rate(x_total[5m])) - sum(rate(x_total[5m] offset 1w))) / sum(rate(x_total[5m] offset 1w))
        sum(rate(http_requests_total[5m])) / scalar(count(up{job="api"}))
        scalar(sum(kube_deployment_status_replicas{deployment="shop"})) > bool 0
        sum(rate(http_requests_total[5m])) / (sum(kube_deployment_status_replicas{deployment="shop"}) > 0)
        """#

    /// The grammar's corners that dashboards rarely show.
    static let grammar = #"""
        foo
        foo:bar
        _foo
        foo_bar{a="b"}
        foo{a="b", c!="d", e=~"f", g!~"h"}
        foo{a='b'}
        foo{a=`b`}
        foo{by="x", on="y", offset="z", sum="w"}
        sum by (on, ignoring, by, group_left) (foo)
        sum by (start, end, bool, offset) (foo)
        foo offset 1y
        foo[5m] offset 1w
        foo[5m] @ 100 offset 1m
        foo @ -100
        foo @ +100
        foo @ start() offset 1m
        foo offset 1m @ end()
        (foo)[5m:1m]
        (foo + bar)[5m:]
        foo[5m:1m] offset 10m
        sum(foo)[5m:1m] @ 1000
        max_over_time(rate(foo[5m])[10m:2m])[1h:10m]
        -foo offset 5m
        -foo @ 100
        1 < bool 2
        1 == bool 1
        1 != bool 2
        1 >= bool 1
        foo == 1
        1 == foo
        foo > 1 < 2
        foo + on (a) bar
        foo + ignoring (a, b) bar
        foo + on () bar
        foo * on (a) group_left (b, c) bar
        foo * on (a) group_right bar
        foo * ignoring (a) group_right () bar
        foo == bool on (a) bar
        foo and bar or baz unless qux
        foo or bar and baz
        (foo or bar) and baz
        foo + bar * baz ^ qux
        foo ^ bar ^ baz
        (foo ^ bar) ^ baz
        -foo ^ 2
        2 ^ -1
        1 - 2 + 3
        1 / 2 * 3
        foo atan2 bar + 1
        sum(foo) by (a) + sum by (b) (bar)
        sum without () (foo)
        sum by () (foo)
        count(foo)
        avg(foo)
        min(foo)
        max(foo)
        topk(1 + 1, foo)
        topk(scalar(bar), foo)
        quantile(scalar(foo), bar)
        count_values('v', foo)
        count_values(`v`, foo)
        label_join(foo, "a", "", "b")
        label_join(foo, "a", "-")
        round(foo, 5)
        hour(foo)
        vector(1) + vector(2)
        time() + 1
        ((foo))
        (((1)))
        -(1)
        - - 1
        -(-foo)
        1 + 2 # a comment
        foo # the end
        sum
        by
        count_values{job="x"}
        offset offset 5m
        sum + without
        start - end
        """#

    static let multiline = [
        """
        sum by (job) (
          rate(http_requests_total{status=~"5.."}[5m])
        )
        /
        sum by (job) (
          rate(http_requests_total[5m])
        )
        """,
        """
        # requests per replica
        sum(rate(http_requests_total{app="shop"}[2m]))
          / on () group_left ()
        sum(kube_deployment_status_replicas{deployment="shop"}) # replicas
        """,
        "histogram_quantile(\n  0.99,\n  sum(rate(x_bucket[5m])) by (le)\n)",
        "foo{\n  a=\"b\",\n  c=\"d\",\n}",
    ]
}
