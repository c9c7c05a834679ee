# Paper B: the SNN library (framework comparison of time and memory).


rule framework_comparison:
    output:
        csv=f"{RESULTS}/framework_comparison/timings.csv",
        metrics=f"{RESULTS}/framework_comparison/metrics.json",
        paired=f"{RESULTS}/framework_comparison/paired.csv",
    log:
        f"{RESULTS}/logs/framework_comparison.log",
    benchmark:
        f"{RESULTS}/benchmarks/framework_comparison.tsv"
    threads: SHARED_THREADS
    # every framework runs in a subprocess on one core (scale.cpus=1), the job's leased core
    resources:
        cpu_heavy=SHARED,
    shell:
        experiment("framework_comparison", shared=True) + " > {log} 2>&1"


rule figure_framework_comparison:
    input:
        rules.framework_comparison.output,  # every file the figure reads
    output:
        target(f"{FIGURES}/framework_comparison.png"),
    log:
        f"{RESULTS}/logs/figure_framework_comparison.log",
    shell:
        figure("framework_comparison", f"{RESULTS}/framework_comparison", "{output}")
        + " > {log} 2>&1"
