# Paper A experiment 2 (SHD/SSC classification, e-prop vs BPTT) and Paper B's Randman MLP.
# smoke/quick train on the synthetic stand-ins (labelled synthetic), paper on real SHD/SSC.

TRAIN_DATA = {
    "paper": ["shd", "ssc"],
    "quick": ["synthetic_shd", "synthetic_ssc"],
    "smoke": ["synthetic_shd"],  # the SSC stand-in runs the same code path; smoke stays short
}[PROFILE]
TRAIN_MODELS = ["lif", "alif"]  # adlif also works by hand: model=adlif
TRAIN_ALGORITHMS = ["eprop", "bptt"]
# Seeds of the grid (`--config train_seeds=[0,1,2]`): seed 0 (Paper A's) runs in
# <data>_<model>_<alg>/, seed k > 0 in <data>_<model>_<alg>_seed<k>/; the accuracy table
# averages over seeds.
TRAIN_SEEDS = sorted({int(seed) for seed in config["train_seeds"]})
TRAIN_RUNS = [f"{data}_{model}_{algorithm}" + (f"_seed{seed}" if seed else "")
              for data in TRAIN_DATA for model in TRAIN_MODELS for algorithm in TRAIN_ALGORITHMS
              for seed in TRAIN_SEEDS]


wildcard_constraints:
    train_data="shd|ssc|synthetic_shd|synthetic_ssc",
    train_model="lif|alif|adlif",
    train_algorithm="eprop|bptt",
    train_seed="(_seed[1-9][0-9]*)?",


rule train_snn:
    output:
        csv=f"{RESULTS}/train_snn/{{train_data}}_{{train_model}}_{{train_algorithm}}{{train_seed}}/history.csv",
        metrics=f"{RESULTS}/train_snn/{{train_data}}_{{train_model}}_{{train_algorithm}}{{train_seed}}/metrics.json",
    log:
        f"{RESULTS}/logs/train_snn_{{train_data}}_{{train_model}}_{{train_algorithm}}{{train_seed}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/train_snn_{{train_data}}_{{train_model}}_{{train_algorithm}}{{train_seed}}.tsv"
    params:
        seed=lambda w: int(w.train_seed.removeprefix("_seed") or 0),
    threads: SHARED_THREADS
    resources:
        cpu_heavy=SHARED,
    shell:
        experiment(
            "train_snn",
            outdir=f"{RESULTS}/train_snn/{{wildcards.train_data}}_{{wildcards.train_model}}_{{wildcards.train_algorithm}}{{wildcards.train_seed}}",
            extra="data={wildcards.train_data} model={wildcards.train_model} "
            "algorithm={wildcards.train_algorithm} seed={params.seed} progress=false",
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
