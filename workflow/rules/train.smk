# Paper A experiment 2 (SHD/SSC classification, e-prop vs BPTT) and Paper B's Randman MLP.
# smoke/quick train on the synthetic stand-ins (labelled synthetic), paper on real SHD/SSC.

TRAIN_DATA = {
    "paper": ["shd", "ssc"],
    "quick": ["synthetic_shd", "synthetic_ssc"],
    "smoke": ["synthetic_shd"],  # the SSC stand-in runs the same code path; smoke stays short
}[PROFILE]
TRAIN_MODELS = ["lif", "alif"]  # adlif also works by hand: model=adlif
TRAIN_ALGORITHMS = ["eprop", "bptt"]
TRAIN_RUNS = expand("{data}_{model}_{algorithm}", data=TRAIN_DATA, model=TRAIN_MODELS,
                    algorithm=TRAIN_ALGORITHMS)


wildcard_constraints:
    train_data="shd|ssc|synthetic_shd|synthetic_ssc",
    train_model="lif|alif|adlif",
    train_algorithm="eprop|bptt",


rule train_snn:
    output:
        csv=f"{RESULTS}/train_snn/{{train_data}}_{{train_model}}_{{train_algorithm}}/history.csv",
        metrics=f"{RESULTS}/train_snn/{{train_data}}_{{train_model}}_{{train_algorithm}}/metrics.json",
    log:
        f"{RESULTS}/logs/train_snn_{{train_data}}_{{train_model}}_{{train_algorithm}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/train_snn_{{train_data}}_{{train_model}}_{{train_algorithm}}.tsv"
    threads: SHARED_THREADS
    resources:
        cpu_heavy=SHARED,
    shell:
        experiment(
            "train_snn",
            outdir=f"{RESULTS}/train_snn/{{wildcards.train_data}}_{{wildcards.train_model}}_{{wildcards.train_algorithm}}",
            extra="data={wildcards.train_data} model={wildcards.train_model} "
            "algorithm={wildcards.train_algorithm} progress=false",
            shared=True,
        ) + " > {log} 2>&1"


rule train_snn_randman:
    output:
        csv=f"{RESULTS}/train_snn/randman_mlp/history.csv",
        metrics=f"{RESULTS}/train_snn/randman_mlp/metrics.json",
    log:
        f"{RESULTS}/logs/train_snn_randman_mlp.log",
    benchmark:
        f"{RESULTS}/benchmarks/train_snn_randman_mlp.tsv"
    threads: SHARED_THREADS
    resources:
        cpu_heavy=SHARED,
    shell:
        experiment(
            "train_snn",
            outdir=f"{RESULTS}/train_snn/randman_mlp",
            extra="data=randman model=randman_mlp algorithm=bptt progress=false",
            shared=True,
        ) + " > {log} 2>&1"


rule figure_train_learning_curves:
    input:
        expand(f"{RESULTS}/train_snn/{{run}}/history.csv", run=TRAIN_RUNS),
    output:
        target(f"{FIGURES}/train_learning_curves.png"),
    log:
        f"{RESULTS}/logs/figure_train_learning_curves.log",
    shell:
        figure("learning_curves", f"{RESULTS}/train_snn", "{output}") + " > {log} 2>&1"


rule figure_train_accuracy_table:
    input:
        expand(f"{RESULTS}/train_snn/{{run}}/metrics.json", run=TRAIN_RUNS),
        rules.train_snn_randman.output,  # every file the figure reads
    output:
        target(f"{FIGURES}/train_accuracy_table.md"),
    log:
        f"{RESULTS}/logs/figure_train_accuracy_table.log",
    shell:
        figure("accuracy_table", f"{RESULTS}/train_snn", "{output}") + " > {log} 2>&1"
