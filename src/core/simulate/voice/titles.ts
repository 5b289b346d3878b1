/**
 * Hand-written titles the voice world adds to the listening world's catalogue: works that exist as book,
 * audiobook, movie and song under one title (what the user means depends on the device and the hour),
 * titles one word apart, the songs and stations behind the systematic ASR confusions, and the releases
 * that make some utterances change meaning on the drift day. Real titles, so examples read naturally;
 * `pop` is the item's popularity logit (the listening world's item biases span about -3 to 1).
 */

/** "other" is a radio station. */
export type VoiceKind = "song" | "video" | "movie" | "podcast" | "audiobook" | "book" | "other";

export const voiceKinds: readonly VoiceKind[] = [
  "song",
  "video",
  "movie",
  "podcast",
  "audiobook",
  "book",
  "other",
];

export interface TitleSpec {
  title: string;
  kind: VoiceKind;
  creator: string;
  pop: number;
}

/** Works that share a title across kinds; members share taste traits (a fan of the book likes the movie). */
export const FAMILIES: ReadonlyArray<{ title: string; members: ReadonlyArray<[VoiceKind, string, number]> }> =
  [
    {
      title: "The Hunger Games",
      members: [
        ["movie", "Gary Ross", 0.9],
        ["book", "Suzanne Collins", 0.5],
        ["audiobook", "Suzanne Collins", 0.2],
      ],
    },
    {
      title: "Dune",
      members: [
        ["movie", "Denis Villeneuve", 0.8],
        ["book", "Frank Herbert", 0.4],
        ["audiobook", "Frank Herbert", 0.1],
      ],
    },
    {
      title: "Little Women",
      members: [
        ["movie", "Greta Gerwig", 0.4],
        ["book", "Louisa May Alcott", 0.3],
        ["audiobook", "Louisa May Alcott", 0],
      ],
    },
    {
      title: "The Martian",
      members: [
        ["movie", "Ridley Scott", 0.6],
        ["book", "Andy Weir", 0.3],
        ["audiobook", "Andy Weir", 0.3],
      ],
    },
    {
      title: "Gone Girl",
      members: [
        ["movie", "David Fincher", 0.4],
        ["book", "Gillian Flynn", 0.4],
        ["audiobook", "Gillian Flynn", 0.1],
      ],
    },
    {
      title: "The Shining",
      members: [
        ["movie", "Stanley Kubrick", 0.5],
        ["book", "Stephen King", 0.3],
        ["audiobook", "Stephen King", 0],
      ],
    },
    {
      title: "The Great Gatsby",
      members: [
        ["book", "F. Scott Fitzgerald", 0.5],
        ["movie", "Baz Luhrmann", 0.3],
        ["audiobook", "F. Scott Fitzgerald", 0.1],
      ],
    },
    {
      title: "Where the Crawdads Sing",
      members: [
        ["book", "Delia Owens", 0.5],
        ["audiobook", "Delia Owens", 0.4],
        ["movie", "Olivia Newman", 0.2],
      ],
    },
    {
      title: "Matilda",
      members: [
        ["song", "Harry Styles", 0.5],
        ["book", "Roald Dahl", 0.4],
        ["movie", "Matthew Warchus", 0.3],
        ["audiobook", "Roald Dahl", 0.2],
      ],
    },
    {
      title: "Wonder",
      members: [
        ["song", "Shawn Mendes", 0.4],
        ["book", "R. J. Palacio", 0.3],
        ["movie", "Stephen Chbosky", 0.3],
      ],
    },
    {
      title: "Becoming",
      members: [
        ["audiobook", "Michelle Obama", 0.6],
        ["book", "Michelle Obama", 0.5],
        ["movie", "Nadia Hallgren", 0],
      ],
    },
    {
      title: "Atomic Habits",
      members: [
        ["audiobook", "James Clear", 0.7],
        ["book", "James Clear", 0.6],
      ],
    },
    {
      title: "Sapiens",
      members: [
        ["audiobook", "Yuval Noah Harari", 0.4],
        ["book", "Yuval Noah Harari", 0.3],
      ],
    },
    {
      title: "Frozen",
      members: [
        ["movie", "Chris Buck", 0.9],
        ["song", "Madonna", 0.1],
      ],
    },
    {
      title: "Bohemian Rhapsody",
      members: [
        ["song", "Queen", 0.9],
        ["movie", "Bryan Singer", 0.5],
      ],
    },
    {
      title: "Friends",
      members: [
        ["video", "Warner Bros. Television", 0.7],
        ["song", "Marshmello", 0.2],
      ],
    },
    {
      title: "The Daily",
      members: [
        ["podcast", "The New York Times", 0.8],
        ["song", "Nova Lane", -0.4],
      ],
    },
    {
      title: "Encanto",
      members: [
        ["movie", "Jared Bush", 0.7],
        ["song", "Germaine Franco", -0.6],
      ],
    },
  ];

/** Single titles: near-title pairs, the originals and targets of systematic mishearings, stations, news. */
export const SINGLES: readonly TitleSpec[] = [
  { title: "We Don't Talk About Bruno", kind: "song", creator: "Encanto Cast", pop: 0.8 },
  { title: "We Don't Talk Anymore", kind: "song", creator: "Charlie Puth", pop: 0.5 },
  { title: "Hey Jude", kind: "song", creator: "The Beatles", pop: 1.3 },
  { title: "Sweet Dreams", kind: "song", creator: "Eurythmics", pop: 1.2 },
  { title: "Levitating", kind: "song", creator: "Dua Lipa", pop: 1.2 },
  { title: "Rain On Me", kind: "song", creator: "Lady Gaga", pop: 0.8 },
  { title: "Reign On Me", kind: "song", creator: "The Velvet Crowns", pop: -0.2 },
  { title: "Eye of the Tiger", kind: "song", creator: "Survivor", pop: 0.6 },
  { title: "The Night We Met", kind: "song", creator: "Lord Huron", pop: 0.5 },
  { title: "Cheap Thrills", kind: "song", creator: "Sia", pop: 0.5 },
  { title: "Despacito", kind: "song", creator: "Luis Fonsi", pop: 0.8 },
  { title: "Blue Bayou", kind: "song", creator: "Linda Ronstadt", pop: 0.3 },
  { title: "Bad Guy", kind: "song", creator: "Billie Eilish", pop: 0.7 },
  { title: "The Bad Guys", kind: "movie", creator: "Pierre Perifel", pop: 0.4 },
  { title: "June", kind: "song", creator: "Maple Avenue", pop: -0.3 },
  { title: "Flowers", kind: "song", creator: "Miley Cyrus", pop: 0.7 },
  { title: "Paint the Town Red", kind: "song", creator: "Doja Cat", pop: 0.5 },
  { title: "Interstellar", kind: "movie", creator: "Christopher Nolan", pop: 0.7 },
  { title: "Serious Chill", kind: "podcast", creator: "The Serious Chill Show", pop: -0.5 },
  { title: "Up First", kind: "podcast", creator: "NPR", pop: 0.6 },
  { title: "NPR News Now", kind: "podcast", creator: "NPR", pop: 0.5 },
  { title: "Morning Brew Daily", kind: "podcast", creator: "Morning Brew", pop: 0.2 },
  { title: "Sirius Chill", kind: "other", creator: "SiriusXM", pop: 0.6 },
  { title: "Coffee House", kind: "other", creator: "SiriusXM", pop: 0.3 },
  { title: "Classic Vinyl", kind: "other", creator: "SiriusXM", pop: 0.2 },
  { title: "Hits One", kind: "other", creator: "SiriusXM", pop: 0.5 },
  { title: "Jazz Cafe", kind: "other", creator: "iHeartRadio", pop: 0 },
  { title: "Kids Place Live", kind: "other", creator: "SiriusXM", pop: 0.1 },
  { title: "Soul Town", kind: "other", creator: "SiriusXM", pop: -0.1 },
  { title: "Lo-Fi Beats", kind: "other", creator: "iHeartRadio", pop: 0.4 },
  { title: "Morning Mix", kind: "other", creator: "iHeartRadio", pop: -0.2 },
  { title: "Country Roads Radio", kind: "other", creator: "iHeartRadio", pop: 0 },
];

/**
 * Songs released on the drift day whose titles are what ASR hears for an older hit: before the drift
 * "hey dude" means Hey Jude misheard, after it mostly the new song.
 */
export const DRIFT_RELEASES: readonly TitleSpec[] = [
  { title: "Hey Dude", kind: "song", creator: "Kenzie Vale", pop: 0.6 },
  { title: "Suite Dreams", kind: "song", creator: "The Night Owls", pop: 0.5 },
  { title: "Level Hating", kind: "song", creator: "Crash Theory", pop: 0.5 },
];

/** Words for generated book and movie titles, apart from the listening world's song-title words. */
export const BOOK_WORDS = {
  adjectives: (
    "Silent Hidden Last Forgotten Golden Broken Secret Burning Drowned Distant Quiet Crimson Winter " +
    "Savage Lost Invisible Iron Glass Paper Hollow Endless Lonely Wild Northern Midnight Sunken Twelfth"
  ).split(" "),
  nouns: (
    "River Garden House Kingdom Orchard Lighthouse Daughter Witness Island Archive Cartographer " +
    "Library Promise Harbor Empire Forest Widow Frontier Tide Mountain Clockmaker Mapmaker Ocean Letters " +
    "Bridge Storm Crown Valley Summer"
  ).split(" "),
  places: [
    "Ashford",
    "Marrow Glen",
    "Kestrel Bay",
    "Eldermoor",
    "Saint Clare",
    "Vellmont",
    "Halloway",
    "Dunmere",
  ],
};
