using System.Collections.Generic;
using DataBlocks;
using DataBlocks.Collab;
using DataBlocks.Data;
using static DataBlocks.Blocks;

namespace MovieLens;

/// <summary>MovieLens 100k the fastai lesson's way: user and title are the inputs, the rating is the target.</summary>
[Block(CategoricalBlock, CategoricalBlock, RegressionBlock)]
public partial class Ratings
{
    [GetItems] static IReadOnlyList<MovieRating> Read(string folder) => DataBlocks.Collab.MovieLens.Read100k(folder);
    [GetX(0)] static int User(MovieRating r) => r.User;
    [GetX(1)] static string Title(MovieRating r) => r.Title;
    [GetY] static float Rating(MovieRating r) => r.Rating;
    [Splitter] static ISplitter Split => new RandomSplitter(0.2, seed: 42);
}
