import PromQL
import PromQLCorpus
import TestSupport
import Testing

@Suite struct ParserTests {
    @Test func theCorpusParsesPrintsAndReparsesToTheSameTree() throws {
        #expect(PromQLCorpus.valid.count >= 300)
        for query in PromQLCorpus.valid {
            let tree = try PromQL.parse(query)
            let printed = tree.description
            #expect(try PromQL.parse(printed) == tree, "\(query) printed as \(printed)")
            #expect(printed == (try PromQL.parse(printed)).description, "printing is stable for \(query)")
        }
    }

    @Test func invalidQueriesNameTheColumnAndWhatWasExpected() {
        #expect(PromQLCorpus.invalid.count >= 60)
        for (query, column, message) in PromQLCorpus.invalid {
            do {
                let tree = try PromQL.parse(query)
                Issue.record("\(query) parsed as \(tree)")
            } catch {
                let text = error.message + (error.expected.map { ", expected " + $0 } ?? "") + (error.hint.map { ": " + $0 } ?? "")
                #expect(error.column == column, "\(query): \(error)")
                #expect(text.contains(message), "\(query): \(error)")
            }
        }
    }

    @Test func theErrorTextReadsAsTheIssueAsksAndNamesLinesOfLongQueries() {
        #expect(throws: PromQLError.self) { try PromQL.parse("sum(rate(x[5m])) / sum())") }
        do {
            _ = try PromQL.parse("sum(rate(x_total[5m]) + )")
        } catch {
            #expect(error.description == #"unexpected ")" at column 25, expected an expression"#)
        }
        do {
            _ = try PromQL.parse("sum(\n  rate(x[5m]\n)")
        } catch {
            #expect(error.description == #"unexpected end of input at line 3, column 2, expected "," or ")""#)
        }
        do {
            _ = try PromQL.parse("rate(http_requests_total)")
        } catch {
            #expect(error.description == #"expected a range vector in call to function "rate", got an instant vector at column 6: add a range such as [5m] after the selector"#)
        }
    }

    @Test func precedenceAndAssociativityFollowPrometheus() throws {
        func tree(_ query: String) throws -> Expr { try PromQL.parse(query) }
        let (a, b, c) = (Expr.vector(VectorSelector(name: "a")), Expr.vector(VectorSelector(name: "b")), Expr.vector(VectorSelector(name: "c")))
        func op(_ op: BinaryOperator, _ l: Expr, _ r: Expr) -> Expr {
            let vectors = l.type == .instantVector && r.type == .instantVector
            return .binary(BinaryOperation(op: op, lhs: l, rhs: r, matching: vectors ? VectorMatching(cardinality: op.isSetOperator ? .manyToMany : .oneToOne) : nil))
        }
        #expect(try tree("a - b - c") == op(.subtract, op(.subtract, a, b), c))
        #expect(try tree("a ^ b ^ c") == op(.power, a, op(.power, b, c)))
        #expect(try tree("a + b * c") == op(.add, a, op(.multiply, b, c)))
        #expect(try tree("a or b and c") == op(.or, a, op(.and, b, c)))
        #expect(try tree("a and b unless c") == op(.unless, op(.and, a, b), c))
        #expect(try tree("a == b + c") == op(.equal, a, op(.add, b, c)))
        #expect(try tree("a atan2 b * c") == op(.multiply, op(.atan2, a, b), c))
        // Unary minus binds like * : below ^, above +; a signed literal is a number.
        #expect(try tree("-a ^ b") == .unary(.minus, op(.power, a, b)))
        #expect(try tree("-a * b") == op(.multiply, .unary(.minus, a), b))
        #expect(try tree("-2 ^ 2") == .unary(.minus, op(.power, .number(NumberLiteral(2)), .number(NumberLiteral(2)))))
        #expect(try tree("- 1") == .number(NumberLiteral(-1)))
        #expect(try tree("2 ^ -1") == op(.power, .number(NumberLiteral(2)), .number(NumberLiteral(-1))))
        // Offsets and ranges bind to the nearest selector.
        #expect(try tree("a + b offset 5m") == op(.add, a, .vector(VectorSelector(name: "b", offset: 300_000))))
    }

    @Test func numbersStringsAndDurationsReadAsPrometheusReadsThem() throws {
        func number(_ query: String) throws -> Double? {
            if case .number(let literal) = try PromQL.parse(query) { return literal.value }
            return nil
        }
        #expect(try number("0x1F") == 31)
        #expect(try number("010") == 8)  // a leading 0 is octal in Prometheus
        #expect(try number("09") == 9)
        #expect(try number("1e3") == 1000)
        #expect(try number(".5") == 0.5)
        #expect(try number("-Inf") == -.infinity)
        #expect(try number("nan")?.isNaN == true)
        #expect(try PromQL.parse(#"'it\'s' "#) == .string("it's"))
        #expect(try PromQL.parse(#""\u00e9\x41\101\n""#) == .string("éAA\n"))
        #expect(try PromQL.parse(#"`\n`"#) == .string("\\n"))
        // Prometheus keeps the raw bytes of "\xff"; a Swift string cannot, so it is refused, named.
        #expect(throws: PromQLError.self) { try PromQL.parse(#""\xff""#) }
        do { _ = try PromQL.parse(#"x{a="\xff"}"#) } catch { #expect(error.message == "the string is not valid UTF-8") }
        guard case .matrix(let matrix) = try PromQL.parse("x[1h30m]") else {
            Issue.record("not a range")
            return
        }
        #expect(matrix.range == 5_400_000)
        #expect(try PromQL.parse("x[90m]").description == "x[1h30m]")
        #expect(try PromQL.parse("x[7d]").description == "x[1w]")
        #expect(try PromQL.parse("x @ 1609746000.5").description == "x @ 1609746000.500")
        #expect(try PromQL.parse("x offset -1d").description == "x offset -1d")
    }

    @Test func thePrinterSpellsQueriesAsPrometheusDoes() throws {
        let cases = [
            ("sum(rate(x{a=\"b\"}[5m])) by (job)", "sum by (job) (rate(x{a=\"b\"}[5m]))"),
            ("a*on(x)group_left b", "a * on (x) group_left () b"),
            ("a + IGNORING(x) b", "a + ignoring (x) b"),
            ("sum by () (x)", "sum(x)"),
            ("x[5m] offset 1m @ 100", "x[5m] @ 100.000 offset 1m"),
            ("{__name__=~\"a.*\",job='x'}", "{__name__=~\"a.*\", job=\"x\"}"),
            ("topk(5,x)", "topk(5, x)"),
            ("x # comment", "x"),
        ]
        for (query, printed) in cases { #expect(try PromQL.parse(query).description == printed) }
    }

    @Test func treesBuiltByHandPrintWithTheParenthesesTheyNeed() throws {
        let a = Expr.vector(VectorSelector(name: "a"))
        let b = Expr.vector(VectorSelector(name: "b"))
        let sum = Expr.binary(BinaryOperation(op: .add, lhs: a, rhs: b, matching: VectorMatching(cardinality: .oneToOne)))
        let product = Expr.binary(BinaryOperation(op: .multiply, lhs: sum, rhs: sum, matching: VectorMatching(cardinality: .oneToOne)))
        #expect(product.description == "(a + b) * (a + b)")
        #expect(Expr.subquery(Subquery(expression: sum, range: 300_000, step: nil)).description == "(a + b)[5m:]")
        #expect(Expr.unary(.minus, sum).description == "-(a + b)")
    }
}

extension ParserTests {
    /// Functions and aggregations of later 2.x releases (up to 2.55), not known to the 2.42 the
    /// agreement tests run against: they parse with their arities, and print back the same.
    @Test func laterReleasesFunctionsAndAggregations() throws {
        for query in [
            "histogram_avg(rate(x[5m]))", "histogram_stddev(x)", "histogram_stdvar(x)", "mad_over_time(x[10m])",
            #"sort_by_label(x, "pod", "node")"#, "sort_by_label_desc(x)", #"info(x, target_info{k8s_cluster="a"})"#,
            "limitk(2, x)", "limit_ratio by (job) (0.5, x)",
        ] {
            let tree = try PromQL.parse(query)
            #expect(try PromQL.parse(tree.description) == tree, "\(query)")
        }
        #expect(throws: PromQLError.self) { try PromQL.parse(#"limitk("a", x)"#) }
        #expect(throws: PromQLError.self) { try PromQL.parse("info(x, y, z)") }
    }

    /// What a query needs of its Prometheus: each function or aggregation past 2.42 once, with
    /// the release that added it (Prometheus's CHANGELOG) and whether it is experimental there.
    @Test func requirementsNameTheReleaseAndTheFlag() throws {
        #expect(try PromQL.parse("sum(rate(x[5m])) / on (a) group_left histogram_quantile(0.9, y)").requirements.isEmpty)
        let needs = try PromQL.parse(#"sum(histogram_avg(x)) + limitk(2, y) + histogram_avg(z) + sort_by_label(info(up), "a")"#).requirements
        #expect(
            needs.map(\.description) == [
                "histogram_avg() needs Prometheus 2.51.0 or later",
                "limitk needs Prometheus 2.54.0 or later, started with --enable-feature=promql-experimental-functions",
                "sort_by_label() needs Prometheus 2.49.0 or later, started with --enable-feature=promql-experimental-functions",
                "info() needs Prometheus 3.0.0 or later, started with --enable-feature=promql-experimental-functions",
            ])
        #expect(PrometheusVersion("2.42.0+ds") == PrometheusVersion(2, 42))
        #expect(PrometheusVersion("v3.1.2") == PrometheusVersion(3, 1, 2))
        #expect(PrometheusVersion("2.42") == PrometheusVersion(2, 42, 0))
        #expect(PrometheusVersion("unknown") == nil)
        #expect(PrometheusVersion(2, 42) < PrometheusVersion(2, 51) && PrometheusVersion(2, 99) < PrometheusVersion(3, 0))
    }
}
