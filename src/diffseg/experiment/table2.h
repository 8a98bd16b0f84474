#pragma once
// Table 2 of the paper: the supervised model, a diffusion strategy and their ensemble on the same test cases.
// results/table2.csv gathers the ensemble evaluations' ensemble.csv files (eval/evaluator.h describes their
// columns) and keeps their numbers; table2.md and the report show them as text with significance marks.
#include <filesystem>
#include <string>

#include "diffseg/core/results.h"

namespace diffseg::experiment {

// An empty Table 2 with the columns it keeps (the numeric columns of ensemble.csv).
ResultTable empty_table2();

// Whether an ensemble.csv or table2.csv has every column Table 2 takes (one written before the HD95 test and the
// bootstrap interval existed has not: the experiment evaluates that ensemble again).
bool has_table2_columns(const std::filesystem::path& csv);

// Appends one ensemble evaluation (the diffusion strategy `with`): the supervised row unless the table has one
// already (every ensemble evaluation scores the same supervised run), the diffusion row, and the ensemble row as
// "ensemble (supervised + WITH)". Columns are read by name; a missing one is an InputError naming the file.
void add_ensemble_rows(ResultTable& table2, const std::filesystem::path& ensemble_csv, const std::string& with);

// The legend shared by table2.md and the report: what the marks, the p-values and the interval are.
std::string table2_legend();

// Table 2 as text: method, Dice and HD95 as mean ± std marked " *" where p < 0.05 against the supervised model,
// the mean Dice difference with its 95 % interval, and both p-values ("–" where there is none).
CsvData table2_display(const CsvData& table2);

// results/table2.md: title, the display table, the legend.
std::string table2_markdown(const CsvData& table2);

}  // namespace diffseg::experiment
