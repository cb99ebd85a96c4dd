package io.travelart.devstack.image;

/** How much the simulators' images weigh (see {@link ImageRenderer}). */
public enum ImageDetail {
    /** Film grain over the picture: a 1024x1024 PNG of about 2.4 MB, as a model's; the default. */
    REALISTIC,
    /** The flat picture, tens of KB: for tests that need speed and do not measure memory or transfer. */
    PLAIN
}
